// Transposition of dense tensors of any element size, shared by the Transpose kernel
// and the lowering (which re-lays weights out once, at load).
#pragma once

#include <optional>
#include <vector>

#include "kernels/fast_kernel.h"

namespace ledge {

// The permutation reduced to its essentials: size-1 axes dropped, axes that stay adjacent
// merged (NCHW → NHWC is then a batch of 2-D transposes).
struct TransposePlan {
  std::vector<size_t> dims;  // merged input dimensions
  std::vector<size_t> perm;  // output axis i takes merged input axis perm[i]
  size_t elem = 4;
};

// Null when `perm` is not a permutation of x's axes (empty means reverse).
std::optional<TransposePlan> plan_transpose(const Shape& x, std::vector<int64_t> perm, size_t elem);
// dst must not overlap src. pool may be null.
void run_transpose(const TransposePlan& plan, const void* src, void* dst, const ThreadPool* pool);

}  // namespace ledge
