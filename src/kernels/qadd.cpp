// ledge.QAdd (a quantized residual connection) as a loop the compiler vectorizes per
// instruction set (kernels/simd.h), with its reference's arithmetic step for step
// (src/ops/q_add.cpp): dequantize both, add, divide by the output scale, round half to even,
// clamp, add the zero point.
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/fast_kernel.h"
#include "kernels/qbinary.h"
#include "kernels/simd.h"

namespace ledge {
namespace {

template <class Q>
inline __attribute__((always_inline)) void qadd_impl(const Q* a, const Q* b, Q* y, size_t n,
                                                     const QBinaryParams& p) {
  // Locals: y is a byte pointer that may alias anything, p included, which would keep the
  // compiler from vectorizing reads of p.
  const float sa = p.sa, sb = p.sb, sy = p.sy;
  const int32_t za = p.za, zb = p.zb;
  const QuantizeBounds<Q> bounds(p.zy);
  for (size_t i = 0; i < n; ++i) {
    const float sum = static_cast<float>(static_cast<int32_t>(a[i]) - za) * sa +
                      static_cast<float>(static_cast<int32_t>(b[i]) - zb) * sb;
    y[i] = quantize_value<Q>(sum, sy, bounds);
  }
}

// One vector build per instruction set (clang's target_clones takes no templates).
LEDGE_SIMD_CLONES void qadd(const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n,
                            const QBinaryParams& p) {
  qadd_impl(a, b, y, n, p);
}
LEDGE_SIMD_CLONES void qadd(const int8_t* a, const int8_t* b, int8_t* y, size_t n,
                            const QBinaryParams& p) {
  qadd_impl(a, b, y, n, p);
}

class QAddKernel : public PreparedKernel {
 public:
  QAddKernel(DType t, QBinaryParams p) : t_(t), p_(p) {}
  Status run(const Tensor* const* in, Tensor* const* out) override {
    const size_t n = static_cast<size_t>(in[0]->numel());
    if (t_ == DType::kUInt8)
      qadd(in[0]->data<uint8_t>(), in[3]->data<uint8_t>(), out[0]->data<uint8_t>(), n, p_);
    else
      qadd(in[0]->data<int8_t>(), in[3]->data<int8_t>(), out[0]->data<int8_t>(), n, p_);
    return Status();
  }
  // Each element is read before it is written.
  bool may_run_in_place() const override { return true; }

 private:
  DType t_;
  QBinaryParams p_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const auto p = read_qbinary_params(c);
  const DType t = c.input_type(0).dtype;
  if (!p || (t != DType::kUInt8 && t != DType::kInt8) || c.input_shape(0) != c.input_shape(3))
    return std::unique_ptr<PreparedKernel>();
  return std::unique_ptr<PreparedKernel>(new QAddKernel(t, *p));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(QAdd, "ledge", "QAdd", ledge::prepare)
