// QLinearConv (opset 10): the integer convolution of ConvInteger plus an int32 bias,
// requantized to y's scale and zero point. w's scale and zero point may be per output channel.
#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

enum Input : size_t { kX, kXScale, kXZero, kW, kWScale, kWZero, kYScale, kYZero, kBias };

Status infer_qlinear_conv(InferContext& c) {
  static const char* const kNames[] = {"x",       "x_scale",      "x_zero_point",
                                       "w",       "w_scale",      "w_zero_point",
                                       "y_scale", "y_zero_point", "B"};
  for (size_t i = 0; i < 8; ++i) LEDGE_TRY(require_input(c, i, kNames[i]));
  for (size_t i : {kX, kXZero, kW, kWZero, kYZero})
    LEDGE_TRY(quant::check_type(c, i, kNames[i], {DType::kInt8, DType::kUInt8}));
  for (size_t i : {kXScale, kWScale, kYScale})
    LEDGE_TRY(quant::check_type(c, i, kNames[i], {DType::kFloat32}));
  LEDGE_TRY(quant::check_type(c, kBias, "B", {DType::kInt32}));
  LEDGE_TRY(quant::check_same_type(c, kX, kXZero, "x_zero_point"));
  LEDGE_TRY(quant::check_same_type(c, kW, kWZero, "w_zero_point"));
  for (size_t i : {kXScale, kXZero, kYScale, kYZero})
    LEDGE_TRY(quant::check_scalar(c, i, kNames[i]));
  return quant::infer_conv_output(c, kX, kW, c.input_dtype(kYZero));
}

// A per-output-channel parameter: one value, or a 1-D tensor of `channels` values.
Status check_per_channel(const KernelContext& c, const Tensor& t, int64_t channels,
                         const char* name) {
  if (t.numel() == 1 || (t.rank() == 1 && t.numel() == channels)) return Status();
  return c.fail(std::string(name) + " must be a scalar or hold one value per output channel (" +
                std::to_string(channels) + "), got shape " + shape_to_string(t.shape()));
}

Status run_qlinear_conv(KernelContext& c) {
  const Tensor& x = c.input(kX);
  const Tensor& w = c.input(kW);
  LEDGE_ASSIGN(const quant::ConvGeometry g, quant::conv_geometry(c, x.shape(), w.shape()));
  const int64_t M = g.out_channels;
  LEDGE_TRY(check_per_channel(c, c.input(kWScale), M, "w_scale"));
  LEDGE_ASSIGN(std::vector<int32_t> acc,
               quant::conv_integer(c, g, x, &c.input(kXZero), w, &c.input(kWZero)));
  LEDGE_ASSIGN(const float x_scale, quant::scalar_float(c, kXScale, "x_scale"));
  LEDGE_ASSIGN(const float y_scale, quant::scalar_float(c, kYScale, "y_scale"));
  LEDGE_ASSIGN(const int32_t y_zero, quant::scalar_int(c, kYZero, "y_zero_point"));
  const std::vector<float> w_scale = quant::read_floats(c.input(kWScale));
  std::vector<int32_t> bias;
  if (const Tensor* b = c.input_or_null(kBias)) {
    if (b->rank() != 1 || b->numel() != M)
      return c.fail("bias B must be 1-D with one value per output channel (" + std::to_string(M) +
                    "), got shape " + shape_to_string(b->shape()));
    bias = quant::read_ints(*b);
  }
  // Output channel oc scales by (x_scale * w_scale[oc]) / y_scale.
  std::vector<float> mult(static_cast<size_t>(M));
  for (int64_t oc = 0; oc < M; ++oc)
    mult[static_cast<size_t>(oc)] = quant::requant_multiplier(
        x_scale, w_scale[w_scale.size() == 1 ? 0 : static_cast<size_t>(oc)], y_scale);
  int64_t spatial = 1;
  for (int64_t d : g.out) spatial *= d;
  Tensor& y = c.output(0);
  return quant::dispatch_q8(y.dtype(), [&]<class Q>() {
    Q* py = y.data<Q>();
    for (size_t i = 0; i < acc.size(); ++i) {
      const size_t oc = static_cast<size_t>((static_cast<int64_t>(i) / spatial) % M);
      const int32_t v = bias.empty() ? acc[i] : quant::wrap_add(acc[i], bias[oc]);
      py[i] = quant::requantize<Q>(v, mult[oc], y_zero);
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(QLinearConv, ledge::infer_qlinear_conv, ledge::run_qlinear_conv)
