// Static memory planning: every intermediate tensor gets an offset in one arena before
// anything runs.
//
// Each buffer is live from the step that writes it to the last step that reads it
// (inclusive). Two buffers may share bytes only when their lifetimes do not overlap.
// Placement is greedy by size, largest first, each at the lowest aligned offset that fits
// between the buffers already placed whose lifetimes overlap it (the strategy TensorFlow
// Lite's arena planner uses; within a few percent of the lower bound on CNNs).
#pragma once

#include <cstddef>
#include <vector>

namespace ledge {

struct BufferLifetime {
  size_t bytes = 0;
  size_t first_step = 0;  // writes it
  size_t last_step = 0;   // last reads it (>= first_step)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per buffer, aligned
  size_t arena_bytes = 0;       // the arena size the offsets need
  size_t peak_live_bytes = 0;   // the largest sum of live buffers at one step: a lower bound
};

MemoryPlan plan_memory(const std::vector<BufferLifetime>& buffers, size_t alignment = 64);

}  // namespace ledge
