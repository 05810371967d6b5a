#include "runtime/memory_plan.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace ledge {

namespace {
size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }
bool overlap(const BufferLifetime& a, const BufferLifetime& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}
}  // namespace

MemoryPlan plan_memory(const std::vector<BufferLifetime>& buffers, size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier start so the result does not depend on sort stability.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes) return buffers[a].bytes > buffers[b].bytes;
    if (buffers[a].first_step != buffers[b].first_step)
      return buffers[a].first_step < buffers[b].first_step;
    return a < b;
  });
  std::vector<size_t> placed;
  std::vector<std::pair<size_t, size_t>> busy;  // [offset, end) of overlapping placed buffers
  for (size_t id : order) {
    const size_t size = align_up(std::max<size_t>(buffers[id].bytes, 1), alignment);
    busy.clear();
    for (size_t p : placed)
      if (overlap(buffers[id], buffers[p]))
        busy.emplace_back(plan.offsets[p], plan.offsets[p] + align_up(buffers[p].bytes, alignment));
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (begin >= offset + size) break;  // the gap before this buffer fits
      offset = std::max(offset, end);
    }
    plan.offsets[id] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.push_back(id);
  }
  // The lower bound, for the report: the most bytes live at any one step.
  std::map<size_t, long long> delta;
  for (const auto& b : buffers) {
    delta[b.first_step] += static_cast<long long>(align_up(b.bytes, alignment));
    delta[b.last_step + 1] -= static_cast<long long>(align_up(b.bytes, alignment));
  }
  long long live = 0;
  for (const auto& [step, d] : delta) {
    live += d;
    plan.peak_live_bytes = std::max(plan.peak_live_bytes, static_cast<size_t>(std::max(live, 0LL)));
  }
  return plan;
}

}  // namespace ledge
