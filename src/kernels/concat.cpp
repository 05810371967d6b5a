// Concat for any element type: one block copy per input per outer index.
//
// In ledge's NHWC graphs a channel Concat (SqueezeNet's fire modules, ShuffleNet's branches)
// is many short blocks: 55x55 pixels of 64 floats or bytes per input. Short blocks are copied
// in fixed 64-byte steps the compiler inlines, not by a library call per block (SqueezeNet's
// float Concats: 0.178 -> 0.153 ms). Splitting the rows over two threads made them slower
// (0.19 -> 0.41 ms): the copy is bound by memory, and the workers had to be woken for it.
#include <cstring>

#include "kernels/fast_kernel.h"

namespace ledge {
namespace {

inline void copy_block(uint8_t* dst, const uint8_t* src, size_t bytes) {
  if (bytes > 1024) {
    std::memcpy(dst, src, bytes);
    return;
  }
  size_t i = 0;
  for (; i + 64 <= bytes; i += 64) std::memcpy(dst + i, src + i, 64);
  if (i < bytes) std::memcpy(dst + i, src + i, bytes - i);
}

class ConcatKernel : public PreparedKernel {
 public:
  ConcatKernel(size_t outer, std::vector<size_t> inner_bytes)
      : outer_(outer), inner_(std::move(inner_bytes)) {}

  Status run(const Tensor* const* in, Tensor* const* out) override {
    auto* dst = static_cast<uint8_t*>(out[0]->raw());
    for (size_t o = 0; o < outer_; ++o)
      for (size_t i = 0; i < inner_.size(); ++i) {
        copy_block(dst, static_cast<const uint8_t*>(in[i]->raw()) + o * inner_[i], inner_[i]);
        dst += inner_[i];
      }
    return Status();
  }

 private:
  size_t outer_;
  std::vector<size_t> inner_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Shape& y = c.output_shape(0);
  const int64_t rank = static_cast<int64_t>(y.size());
  int64_t axis = c.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::unique_ptr<PreparedKernel>();
  size_t outer = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= static_cast<size_t>(y[static_cast<size_t>(i)]);
  std::vector<size_t> inner;
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    if (!c.has_input(i)) return std::unique_ptr<PreparedKernel>();
    const Shape& x = c.input_shape(i);
    size_t n = dtype_size(c.input_type(i).dtype);
    for (size_t d = static_cast<size_t>(axis); d < x.size(); ++d) n *= static_cast<size_t>(x[d]);
    inner.push_back(n);
  }
  return std::unique_ptr<PreparedKernel>(new ConcatKernel(outer, std::move(inner)));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(Concat, "", "Concat", ledge::prepare)
