// ledge.NhwcQLinearConv: QLinearConv on NHWC activations with OHWI weights, the form the CPU
// lowering gives quantized convolutions (src/lower/fuse_quantized.cpp, convert_to_nhwc).
//   x [N, H, W, C] (u)int8, w [O, KH, KW, C/group] (u)int8, B [O] int32 → y [N, OH, OW, O]
// Inputs in QLinearConv's order; attributes as ledge.NhwcConv (pads [top, left, bottom, right]).
// In an artifact, w may be stored pre-packed for the integer kernels (packed_weight_shape).
#include "ops/lowered_common.h"
#include "ops/nn_common.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

using namespace quant;

Status infer(InferContext& c) {
  LEDGE_TRY(infer_qlinear_inputs(c));
  if (c.input_rank(kQX) != 4) return c.fail("NhwcQLinearConv needs a rank-4 x");
  const Shape& x = *c.input_type(kQX).shape;
  LEDGE_ASSIGN(const Shape w, qlinear_weight_shape(c, c.input_type(kQW), 4));
  const int64_t group = c.attr_int("group", 1);
  if (w[0] < 0 || w[1] < 0 || w[2] < 0 || w[3] < 0) return c.fail("w needs a static shape");
  LEDGE_ASSIGN(Window2d win, read_window2d(c, w[1], w[2]));
  if (win.kh != w[1] || win.kw != w[2]) return c.fail("kernel_shape does not match w");
  if (group < 1 || w[0] % group != 0) return c.fail("group must divide the output channels");
  if (x[3] >= 0 && x[3] != w[3] * group)
    return c.fail("x has " + std::to_string(x[3]) + " channels, w expects " +
                  std::to_string(w[3] * group));
  Shape y{x[0], -1, -1, w[0]};
  if (x[1] >= 0) y[1] = win.out_h(x[1]);
  if (x[2] >= 0) y[2] = win.out_w(x[2]);
  if ((x[1] >= 0 && y[1] < 1) || (x[2] >= 0 && y[2] < 1))
    return c.fail("the window does not fit the input");
  return c.set_output(0, c.input_dtype(kQYZero), y);
}

Status run(KernelContext& c) {
  const Tensor& x = c.input(kQX);
  LEDGE_ASSIGN(const Tensor w, qlinear_weight_values(c, c.input(kQW), 4));
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(Window2d win, read_window2d(c, w.dim(1), w.dim(2)));
  const int64_t group = c.attr_int("group", 1);
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t OH = y.dim(1), OW = y.dim(2), O = y.dim(3);
  const int64_t cg = C / group, og = O / group;
  LEDGE_ASSIGN(const QLinearParams p, qlinear_params(c, O));
  // Padding holds x's zero point, so taps outside the image add nothing and are skipped.
  LEDGE_ASSIGN(const std::vector<int32_t> wx,
               widen_minus_zero_point(x, {p.x_zero}, [](int64_t) { return 0; }));
  const int64_t per_o = w.numel() / (O > 0 ? O : 1);
  LEDGE_ASSIGN(const std::vector<int32_t> ww,
               widen_minus_zero_point(w, p.w_zero, [&](int64_t i) { return i / per_o; }));
  return dispatch_q8(y.dtype(), [&]<class Q>() {
    Q* py = y.data<Q>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          for (int64_t o = 0; o < O; ++o) {
            const int64_t g = o / og;
            int32_t acc = p.bias.empty() ? 0 : p.bias[static_cast<size_t>(o)];
            for (int64_t i = 0; i < win.kh; ++i) {
              const int64_t ih = oh * win.sh - win.pad_top + i * win.dh;
              if (ih < 0 || ih >= H) continue;
              for (int64_t j = 0; j < win.kw; ++j) {
                const int64_t iw = ow * win.sw - win.pad_left + j * win.dw;
                if (iw < 0 || iw >= W) continue;
                const int32_t* xs = wx.data() + ((n * H + ih) * W + iw) * C + g * cg;
                const int32_t* ws = ww.data() + ((o * win.kh + i) * win.kw + j) * cg;
                for (int64_t k = 0; k < cg; ++k) acc = wrap_add(acc, xs[k] * ws[k]);
              }
            }
            py[((n * OH + oh) * OW + ow) * O + o] =
                requantize<Q>(acc, p.multiplier[static_cast<size_t>(o)], p.y_zero);
          }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(NhwcQLinearConv, "ledge", infer, run)
