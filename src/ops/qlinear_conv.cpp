// QLinearConv (opset 10): the integer convolution of ConvInteger plus an int32 bias,
// requantized to y's scale and zero point. w's scale and zero point may be per output channel.
#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

using namespace quant;

Status infer_qlinear_conv(InferContext& c) {
  LEDGE_TRY(infer_qlinear_inputs(c));
  return infer_conv_output(c, kQX, kQW, c.input_dtype(kQYZero));
}

Status run_qlinear_conv(KernelContext& c) {
  const Tensor& x = c.input(kQX);
  const Tensor& w = c.input(kQW);
  LEDGE_ASSIGN(const ConvGeometry g, conv_geometry(c, x.shape(), w.shape()));
  const int64_t M = g.out_channels;
  LEDGE_ASSIGN(const QLinearParams p, qlinear_params(c, M));
  LEDGE_ASSIGN(std::vector<int32_t> acc,
               conv_integer(c, g, x, &c.input(kQXZero), w, &c.input(kQWZero)));
  int64_t spatial = 1;
  for (int64_t d : g.out) spatial *= d;
  Tensor& y = c.output(0);
  return dispatch_q8(y.dtype(), [&]<class Q>() {
    Q* py = y.data<Q>();
    for (size_t i = 0; i < acc.size(); ++i) {
      const size_t oc = static_cast<size_t>((static_cast<int64_t>(i) / spatial) % M);
      const int32_t v = p.bias.empty() ? acc[i] : wrap_add(acc[i], p.bias[oc]);
      py[i] = requantize<Q>(v, p.multiplier[oc], p.y_zero);
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(QLinearConv, ledge::infer_qlinear_conv, ledge::run_qlinear_conv)
