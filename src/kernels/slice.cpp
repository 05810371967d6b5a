// Slice along one axis with step 1, the common case (channel splits, crops): one block
// copy per outer index. Other slices run the reference kernel.
#include <algorithm>
#include <cstring>

#include "kernels/fast_kernel.h"

namespace ledge {
namespace {

class SliceKernel : public PreparedKernel {
 public:
  SliceKernel(size_t outer, size_t in_block, size_t offset, size_t out_block)
      : outer_(outer), in_block_(in_block), offset_(offset), out_block_(out_block) {}
  Status run(const Tensor* const* in, Tensor* const* out) override {
    const auto* src = static_cast<const uint8_t*>(in[0]->raw()) + offset_;
    auto* dst = static_cast<uint8_t*>(out[0]->raw());
    for (size_t o = 0; o < outer_; ++o)
      std::memcpy(dst + o * out_block_, src + o * in_block_, out_block_);
    return Status();
  }

 private:
  size_t outer_, in_block_, offset_, out_block_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  if (c.opset() < 10 || c.num_inputs() < 4) return std::unique_ptr<PreparedKernel>();
  const Tensor* axes = c.constant(3);
  const Tensor* starts = c.constant(1);
  const Tensor* steps = c.has_input(4) ? c.constant(4) : nullptr;
  if (!axes || !starts || axes->numel() != 1 ||
      (c.has_input(4) && (!steps || steps->as_int64(0) != 1)))
    return std::unique_ptr<PreparedKernel>();
  const Shape& x = c.input_shape(0);
  const Shape& y = c.output_shape(0);
  const int64_t rank = static_cast<int64_t>(x.size());
  int64_t axis = axes->as_int64(0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::unique_ptr<PreparedKernel>();
  const int64_t dim = x[static_cast<size_t>(axis)];
  int64_t start = starts->as_int64(0);
  if (start < 0) start += dim;
  start = std::max<int64_t>(0, std::min(start, dim));
  // The output length comes from the reference shape inference (ends clamped there).
  const int64_t len = y[static_cast<size_t>(axis)];
  if (start + len > dim) return std::unique_ptr<PreparedKernel>();
  size_t outer = 1, inner = dtype_size(c.input_type(0).dtype);
  for (int64_t i = 0; i < axis; ++i) outer *= static_cast<size_t>(x[static_cast<size_t>(i)]);
  for (int64_t i = axis + 1; i < rank; ++i) inner *= static_cast<size_t>(x[static_cast<size_t>(i)]);
  return std::unique_ptr<PreparedKernel>(new SliceKernel(outer, static_cast<size_t>(dim) * inner,
                                                         static_cast<size_t>(start) * inner,
                                                         static_cast<size_t>(len) * inner));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(Slice, "", "Slice", ledge::prepare)
