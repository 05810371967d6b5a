// QuantizeLinear (float32 → uint8/int8) and DequantizeLinear (uint8/int8 → float32) with
// one scale and zero point for the tensor: the edges of a quantized model's integer region,
// and the float islands inside it (a residual Add). Loops the compiler vectorizes per
// instruction set (kernels/simd.h), with the reference's arithmetic (quant_common.h): one
// float division, round half to even, clamp before the conversion, NaN to the zero point.
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/fast_kernel.h"
#include "kernels/simd.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

template <class Q>
inline __attribute__((always_inline)) void quantize_impl(const float* x, Q* y, size_t n,
                                                         float scale, int32_t zero) {
  const float lo = static_cast<float>(std::numeric_limits<Q>::min() - zero);
  const float hi = static_cast<float>(std::numeric_limits<Q>::max() - zero);
  for (size_t i = 0; i < n; ++i) {
    // nearbyint rounds half to even in the default rounding mode, which ledge never changes.
    float v = std::nearbyint(x[i] / scale);
    v = v == v ? v : 0.f;  // NaN: the zero point
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    y[i] = static_cast<Q>(static_cast<int32_t>(v) + zero);
  }
}

template <class Q>
inline __attribute__((always_inline)) void dequantize_impl(const Q* x, float* y, size_t n,
                                                           float scale, int32_t zero) {
  for (size_t i = 0; i < n; ++i)
    y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zero) * scale;
}

// One vector build per instruction set (clang's target_clones takes no templates).
#define LEDGE_QUANTIZE_LOOPS(Q)                                                           \
  LEDGE_SIMD_CLONES void quantize(const float* x, Q* y, size_t n, float s, int32_t z) {   \
    quantize_impl<Q>(x, y, n, s, z);                                                      \
  }                                                                                       \
  LEDGE_SIMD_CLONES void dequantize(const Q* x, float* y, size_t n, float s, int32_t z) { \
    dequantize_impl<Q>(x, y, n, s, z);                                                    \
  }
LEDGE_QUANTIZE_LOOPS(uint8_t)
LEDGE_QUANTIZE_LOOPS(int8_t)
#undef LEDGE_QUANTIZE_LOOPS

class QuantizeKernel : public PreparedKernel {
 public:
  QuantizeKernel(bool to_quantized, DType q, float scale, int32_t zero)
      : to_quantized_(to_quantized), q_(q), scale_(scale), zero_(zero) {}
  Status run(const Tensor* const* in, Tensor* const* out) override {
    const size_t n = static_cast<size_t>(in[0]->numel());
    if (to_quantized_) {
      if (q_ == DType::kUInt8)
        quantize(in[0]->data<float>(), out[0]->data<uint8_t>(), n, scale_, zero_);
      else
        quantize(in[0]->data<float>(), out[0]->data<int8_t>(), n, scale_, zero_);
    } else {
      if (q_ == DType::kUInt8)
        dequantize(in[0]->data<uint8_t>(), out[0]->data<float>(), n, scale_, zero_);
      else
        dequantize(in[0]->data<int8_t>(), out[0]->data<float>(), n, scale_, zero_);
    }
    return Status();
  }

 private:
  bool to_quantized_;
  DType q_;
  float scale_;
  int32_t zero_;
};

// Per-tensor parameters that are constants, the zero point within its type; anything else
// (per axis, int32 data, parameters fed at run time) runs on the reference kernel.
Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c, bool to_quantized) {
  const Tensor* scale = c.constant(1);
  const Tensor* zero = c.num_inputs() > 2 && c.has_input(2) ? c.constant(2) : nullptr;
  if (!scale || !zero || scale->numel() != 1 || zero->numel() != 1 ||
      scale->dtype() != DType::kFloat32)
    return std::unique_ptr<PreparedKernel>();
  const DType q = zero->dtype();
  const DType data = c.input_type(0).dtype;
  if ((q != DType::kUInt8 && q != DType::kInt8) || data != (to_quantized ? DType::kFloat32 : q))
    return std::unique_ptr<PreparedKernel>();
  const float s = scale->data<float>()[0];
  // Division by zero or a negative scale: the reference defines what happens.
  if (!(s > 0) || s > std::numeric_limits<float>::max()) return std::unique_ptr<PreparedKernel>();
  return std::unique_ptr<PreparedKernel>(
      new QuantizeKernel(to_quantized, q, s, static_cast<int32_t>(zero->as_int64(0))));
}

Expected<std::unique_ptr<PreparedKernel>> prepare_quantize(PrepareContext& c) {
  return prepare(c, true);
}
Expected<std::unique_ptr<PreparedKernel>> prepare_dequantize(PrepareContext& c) {
  return prepare(c, false);
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(QuantizeLinear, "", "QuantizeLinear", ledge::prepare_quantize)
LEDGE_DEFINE_FAST_KERNEL(DequantizeLinear, "", "DequantizeLinear", ledge::prepare_dequantize)
