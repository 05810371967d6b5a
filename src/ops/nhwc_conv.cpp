// ledge.NhwcConv: 2-D convolution on NHWC activations with OHWI weights, an optional bias
// and a fused clamp. The CPU lowering turns float Conv nodes into it.
//   X [N, H, W, C], W [O, KH, KW, C/group], B [O] → Y [N, OH, OW, O]
#include "ops/lowered_common.h"
#include "ops/nn_common.h"

namespace ledge {
namespace {

Status infer(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  if (c.input_dtype(0) != DType::kFloat32 || c.input_dtype(1) != DType::kFloat32)
    return c.fail("NhwcConv takes float32");
  if (c.input_rank(0) != 4 || c.input_rank(1) != 4) return c.fail("NhwcConv needs rank-4 X and W");
  const Shape& x = *c.input_type(0).shape;
  const Shape& w = *c.input_type(1).shape;
  const int64_t group = c.attr_int("group", 1);
  if (w[0] < 0 || w[1] < 0 || w[2] < 0 || w[3] < 0) return c.fail("W needs a static shape");
  LEDGE_ASSIGN(Window2d win, read_window2d(c, w[1], w[2]));
  if (win.kh != w[1] || win.kw != w[2]) return c.fail("kernel_shape does not match W");
  if (group < 1 || w[0] % group != 0) return c.fail("group must divide the output channels");
  if (x[3] >= 0 && x[3] != w[3] * group)
    return c.fail("X has " + std::to_string(x[3]) + " channels, W expects " +
                  std::to_string(w[3] * group));
  if (c.has_input(2) && (c.input_rank(2) != 1 || (*c.input_type(2).shape)[0] != w[0]))
    return c.fail("B must have shape [" + std::to_string(w[0]) + "]");
  Shape y{x[0], -1, -1, w[0]};
  if (x[1] >= 0) y[1] = win.out_h(x[1]);
  if (x[2] >= 0) y[2] = win.out_w(x[2]);
  if ((x[1] >= 0 && y[1] < 1) || (x[2] >= 0 && y[2] < 1))
    return c.fail("the window does not fit the input");
  return c.set_output(0, DType::kFloat32, y);
}

Status run(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  const Tensor* b = c.input_or_null(2);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(Window2d win, read_window2d(c, w.dim(1), w.dim(2)));
  const ActivationRange act = read_activation(c);
  const int64_t group = c.attr_int("group", 1);
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t OH = y.dim(1), OW = y.dim(2), O = y.dim(3);
  const int64_t cg = C / group, og = O / group;
  const float* px = x.data<float>();
  const float* pw = w.data<float>();
  float* py = y.data<float>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t o = 0; o < O; ++o) {
          const int64_t g = o / og;
          double acc = b ? b->data<float>()[o] : 0.0;
          for (int64_t i = 0; i < win.kh; ++i) {
            const int64_t ih = oh * win.sh - win.pad_top + i * win.dh;
            if (ih < 0 || ih >= H) continue;
            for (int64_t j = 0; j < win.kw; ++j) {
              const int64_t iw = ow * win.sw - win.pad_left + j * win.dw;
              if (iw < 0 || iw >= W) continue;
              const float* xs = px + ((n * H + ih) * W + iw) * C + g * cg;
              const float* ws = pw + ((o * win.kh + i) * win.kw + j) * cg;
              for (int64_t k = 0; k < cg; ++k) acc += static_cast<double>(xs[k]) * ws[k];
            }
          }
          py[((n * OH + oh) * OW + ow) * O + o] = act.apply(static_cast<float>(acc));
        }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(NhwcConv, "ledge", infer, run)
