// ledge.QMul: the integer form the CPU lowering gives DQ(a) * DQ(b) → Q (a squeeze-and-
// excitation block's channel scaling, src/lower/fuse_quantized.cpp). Inputs as ledge.QAdd:
// a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point (per tensor);
// a, b and y of one 8-bit type, a and b broadcast like Mul. Defined as the QDQ float
// arithmetic it replaces, step for step, so it gives the QDQ model's bytes exactly:
//   y = saturate_round((float(a - a_zp) * a_scale) * (float(b - b_zp) * b_scale) / y_scale, y_zp)
#include "ops/helpers.h"
#include "ops/lowered_common.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

using namespace quant;

enum Input : size_t { kA, kAScale, kAZero, kB, kBScale, kBZero, kYScale, kYZero };

Status infer(InferContext& c) {
  LEDGE_TRY(infer_qbinary_inputs(c));
  const TensorType& a = c.input_type(kA);
  const TensorType& b = c.input_type(kB);
  auto y = broadcast_types({&a, &b});
  if (!y) return c.fail(y.error().message());
  if (!*y) return c.set_output_unknown(0, a.dtype);
  return c.set_output(0, a.dtype, **y);
}

Status run(KernelContext& c) {
  const Tensor& a = c.input(kA);
  const Tensor& b = c.input(kB);
  LEDGE_ASSIGN(const float sa, scalar_float(c, kAScale, "a_scale"));
  LEDGE_ASSIGN(const float sb, scalar_float(c, kBScale, "b_scale"));
  LEDGE_ASSIGN(const float sy, scalar_float(c, kYScale, "y_scale"));
  LEDGE_ASSIGN(const int32_t za, scalar_int(c, kAZero, "a_zero_point"));
  LEDGE_ASSIGN(const int32_t zb, scalar_int(c, kBZero, "b_zero_point"));
  LEDGE_ASSIGN(const int32_t zy, scalar_int(c, kYZero, "y_zero_point"));
  LEDGE_ASSIGN(const Shape shape, broadcast_shapes({a.shape(), b.shape()}));
  LEDGE_ASSIGN(Tensor y, Tensor::make(a.dtype(), shape));
  LEDGE_TRY(dispatch_q8(a.dtype(), [&]<class Q>() {
    const Q* pa = a.data<Q>();
    const Q* pb = b.data<Q>();
    Q* py = y.data<Q>();
    for_each_broadcast<2>(shape, {&a.shape(), &b.shape()}, [&](int64_t i, const auto& off) {
      const float product = dequantize(pa[off[0]], za, sa) * dequantize(pb[off[1]], zb, sb);
      py[i] = quantize<Q>(product, sy, zy);
    });
  }));
  c.set_output(0, std::move(y));
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(QMul, "ledge", infer, run)
