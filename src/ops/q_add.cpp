// ledge.QAdd: the integer form the CPU lowering gives DQ(a) + DQ(b) → Q (a quantized
// residual connection, src/lower/fuse_quantized.cpp). Inputs a, a_scale, a_zero_point, b,
// b_scale, b_zero_point, y_scale, y_zero_point (per tensor); a, b and y of one shape and one
// 8-bit type. Defined as the QDQ float arithmetic it replaces, step for step, so it gives the
// QDQ model's bytes exactly:
//   y = saturate_round((float(a - a_zp) * a_scale + float(b - b_zp) * b_scale) / y_scale, y_zp)
#include "ops/helpers.h"
#include "ops/lowered_common.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

using namespace quant;

enum Input : size_t { kA, kAScale, kAZero, kB, kBScale, kBZero, kYScale, kYZero };

Status infer(InferContext& c) {
  LEDGE_TRY(infer_qbinary_inputs(c));
  if (c.input_type(kA).shape && c.input_type(kB).shape &&
      *c.input_type(kA).shape != *c.input_type(kB).shape)
    return c.fail("a and b must have the same shape (no broadcasting)");
  return c.set_output(0, c.input_type(kA));
}

Status run(KernelContext& c) {
  const Tensor& a = c.input(kA);
  const Tensor& b = c.input(kB);
  if (a.shape() != b.shape()) return c.fail("a and b must have the same shape");
  LEDGE_ASSIGN(const float sa, scalar_float(c, kAScale, "a_scale"));
  LEDGE_ASSIGN(const float sb, scalar_float(c, kBScale, "b_scale"));
  LEDGE_ASSIGN(const float sy, scalar_float(c, kYScale, "y_scale"));
  LEDGE_ASSIGN(const int32_t za, scalar_int(c, kAZero, "a_zero_point"));
  LEDGE_ASSIGN(const int32_t zb, scalar_int(c, kBZero, "b_zero_point"));
  LEDGE_ASSIGN(const int32_t zy, scalar_int(c, kYZero, "y_zero_point"));
  Tensor& y = c.output(0);
  return dispatch_q8(a.dtype(), [&]<class Q>() {
    const Q* pa = a.data<Q>();
    const Q* pb = b.data<Q>();
    Q* py = y.data<Q>();
    for (int64_t i = 0; i < a.numel(); ++i) {
      const float sum = dequantize(pa[i], za, sa) + dequantize(pb[i], zb, sb);
      py[i] = quantize<Q>(sum, sy, zy);
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(QAdd, "ledge", infer, run)
