// ledge.QGlobalAveragePool: the integer form the CPU lowering gives DQ(x) →
// GlobalAveragePool → Q (src/lower/fuse_quantized.cpp), as ONNX Runtime's
// com.microsoft.QLinearGlobalAveragePool defines it: the sum of each channel's integers, the
// zero point taken out, scaled once to the output's parameters.
//   x [N, C, d1, ...] (channels_last 0) or [N, d1, ..., C] (channels_last 1), (u)int8;
//   x_scale, x_zero_point, y_scale, y_zero_point per tensor, y of x's type → y with every
//   spatial dimension 1:
//   acc  = sum over the n pixels of (x - x_zp)   (exact, in 64 bits)
//   y    = saturate_round(float(acc) * (x_scale / (y_scale * float(n))), y_zp)
// (The QDQ float graph sums dequantized floats; the two agree up to that sum's rounding.)
#include "ops/helpers.h"
#include "ops/lowered_common.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

using namespace quant;

enum Input : size_t { kX, kXScale, kXZero, kYScale, kYZero };

Status infer(InferContext& c) {
  LEDGE_TRY(infer_qpool_inputs(c));
  const TensorType& x = c.input_type(kX);
  if (!x.shape) return c.set_output_unknown(0, x.dtype);
  if (x.shape->size() < 3) return c.fail("x must have rank 3 or more");
  Shape y(x.shape->size(), 1);
  const bool last = c.attr_int("channels_last", 0) != 0;
  y[0] = (*x.shape)[0];
  if (last)
    y.back() = x.shape->back();
  else
    y[1] = (*x.shape)[1];
  return c.set_output(0, x.dtype, y);
}

Status run(KernelContext& c) {
  const Tensor& x = c.input(kX);
  LEDGE_ASSIGN(const float sx, scalar_float(c, kXScale, "x_scale"));
  LEDGE_ASSIGN(const float sy, scalar_float(c, kYScale, "y_scale"));
  LEDGE_ASSIGN(const int32_t zx, scalar_int(c, kXZero, "x_zero_point"));
  LEDGE_ASSIGN(const int32_t zy, scalar_int(c, kYZero, "y_zero_point"));
  if (x.rank() < 3) return c.fail("x must have rank 3 or more");
  const bool last = c.attr_int("channels_last", 0) != 0;
  const int64_t N = x.dim(0), C = last ? x.dim(x.rank() - 1) : x.dim(1);
  const int64_t pixels = N * C == 0 ? 0 : x.numel() / (N * C);
  Shape shape(static_cast<size_t>(x.rank()), 1);
  shape[0] = N;
  (last ? shape.back() : shape[1]) = C;
  LEDGE_ASSIGN(Tensor y, Tensor::make(x.dtype(), shape));
  const float multiplier = sx / (sy * static_cast<float>(pixels));
  LEDGE_TRY(dispatch_q8(x.dtype(), [&]<class Q>() {
    const Q* px = x.data<Q>();
    Q* py = y.data<Q>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t ch = 0; ch < C; ++ch) {
        int64_t acc = 0;
        for (int64_t p = 0; p < pixels; ++p) {
          const int64_t at = last ? (n * pixels + p) * C + ch : (n * C + ch) * pixels + p;
          acc += static_cast<int64_t>(px[at]) - zx;
        }
        py[n * C + ch] = saturate_round<Q>(static_cast<float>(acc) * multiplier, zy);
      }
  }));
  c.set_output(0, std::move(y));
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(QGlobalAveragePool, "ledge", infer, run)
