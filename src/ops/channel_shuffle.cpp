// ledge.ChannelShuffle: the Reshape → Transpose → Reshape that ShuffleNet-style models
// use to interleave channel groups, as one operator (the CPU lowering recognizes the
// pattern). Along `axis` (C channels, `groups` groups of C/groups):
//   Y[..., j·groups + i, ...] = X[..., i·(C/groups) + j, ...]
#include <cstring>

#include "ops/lowered_common.h"
#include "ops/nn_common.h"

namespace ledge {
namespace {

Status infer(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  const int64_t rank = c.input_rank(0);
  const int64_t axis = c.attr_int("axis", 1), groups = c.attr_int("groups", 1);
  if (rank >= 0 && (axis < 0 || axis >= rank)) return c.fail("axis out of range");
  if (groups < 1) return c.fail("groups must be positive");
  if (rank >= 0) {
    const int64_t ch = (*c.input_type(0).shape)[static_cast<size_t>(axis)];
    if (ch >= 0 && ch % groups != 0)
      return c.fail(std::to_string(groups) + " groups do not divide " + std::to_string(ch) +
                    " channels");
  }
  return c.set_output(0, c.input_type(0));
}

Status run(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t axis = c.attr_int("axis", 1), groups = c.attr_int("groups", 1);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int64_t i = axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  const int64_t ch = x.dim(axis), per_group = ch / groups;
  const size_t block = static_cast<size_t>(inner) * dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < groups; ++i)
      for (int64_t j = 0; j < per_group; ++j)
        std::memcpy(dst + static_cast<size_t>(o * ch + j * groups + i) * block,
                    src + static_cast<size_t>(o * ch + i * per_group + j) * block, block);
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(ChannelShuffle, "ledge", infer, run)
