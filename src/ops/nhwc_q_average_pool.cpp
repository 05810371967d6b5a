// ledge.NhwcQAveragePool: the integer form the CPU lowering gives DQ(x) → AveragePool → Q on
// NHWC activations (src/lower/fuse_quantized_pools.cpp), defined like ONNX Runtime's
// com.microsoft.QLinearAveragePool and like ledge.QGlobalAveragePool: an exact integer sum
// of each window, the zero point taken out, scaled once to the output's parameters.
//   x [N, H, W, C] (u)int8; x_scale, x_zero_point, y_scale, y_zero_point per tensor, the zero
//   points of x's type; attributes kernel_shape, strides, pads ([top, left, bottom, right],
//   explicit: the lowering has resolved auto_pad) and count_include_pad, as in
//   ledge.NhwcAveragePool → y [N, OH, OW, C] of x's type:
//   acc   = sum over the window's pixels inside the image of (x - x_zp)   (exact)
//   count = those pixels, or with count_include_pad the window's pixels inside the padding
//   y     = saturate_round(float(acc) * (x_scale / (y_scale * float(count))), y_zp)
//           (y_zp where count is 0)
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
  if (!c.has_attr("kernel_shape")) return c.fail("kernel_shape is required");
  LEDGE_ASSIGN(const Window2d win, read_window2d(c, 1, 1));
  const TensorType& x = c.input_type(kX);
  if (!x.shape) return c.set_output_unknown(0, x.dtype);
  if (x.shape->size() != 4) return c.fail("needs a rank-4 NHWC input");
  const Shape& s = *x.shape;
  Shape y{s[0], s[1] < 0 ? -1 : win.out_h(s[1]), s[2] < 0 ? -1 : win.out_w(s[2]), s[3]};
  if ((s[1] >= 0 && y[1] < 1) || (s[2] >= 0 && y[2] < 1))
    return c.fail("the window does not fit the input");
  return c.set_output(0, x.dtype, y);
}

Status run(KernelContext& c) {
  const Tensor& x = c.input(kX);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(const float sx, scalar_float(c, kXScale, "x_scale"));
  LEDGE_ASSIGN(const float sy, scalar_float(c, kYScale, "y_scale"));
  LEDGE_ASSIGN(const int32_t zx, scalar_int(c, kXZero, "x_zero_point"));
  LEDGE_ASSIGN(const int32_t zy, scalar_int(c, kYZero, "y_zero_point"));
  LEDGE_ASSIGN(const Window2d win, read_window2d(c, 1, 1));
  const bool include_pad = c.attr_int("count_include_pad", 0) != 0;
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t OH = y.dim(1), OW = y.dim(2);
  return dispatch_q8(x.dtype(), [&]<class Q>() {
    const Q* px = x.data<Q>();
    Q* py = y.data<Q>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          for (int64_t ch = 0; ch < C; ++ch) {
            int64_t acc = 0, count = 0;
            for (int64_t i = 0; i < win.kh; ++i) {
              const int64_t ih = oh * win.sh - win.pad_top + i * win.dh;
              for (int64_t j = 0; j < win.kw; ++j) {
                const int64_t iw = ow * win.sw - win.pad_left + j * win.dw;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                  acc += static_cast<int64_t>(px[((n * H + ih) * W + iw) * C + ch]) - zx;
                  ++count;
                } else if (include_pad && ih < H + win.pad_bottom && iw < W + win.pad_right) {
                  ++count;
                }
              }
            }
            const float scaled =
                count ? static_cast<float>(acc) * (sx / (sy * static_cast<float>(count))) : 0.f;
            py[((n * OH + oh) * OW + ow) * C + ch] = saturate_round<Q>(scaled, zy);
          }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(NhwcQAveragePool, "ledge", infer, run)
