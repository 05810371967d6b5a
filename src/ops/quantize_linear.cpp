// QuantizeLinear (opsets 10, 13): y = saturate(round_half_even(x / y_scale) + y_zero_point),
// per tensor or, from opset 13, per axis. The arithmetic lives in quant_common.h.
#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

// Opset 10 has no axis attribute and only per-tensor parameters; like ONNX Runtime we still
// accept a per-axis scale there (along the default axis 1) rather than reject the model.
int64_t quant_axis(const NodeContext& c) { return c.attr_int("axis", 1); }

Status infer_quantize_linear(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "x"));
  LEDGE_TRY(require_input(c, 1, "y_scale"));
  LEDGE_TRY(quant::check_type(c, 0, "x", {DType::kFloat32, DType::kInt32}));
  LEDGE_TRY(quant::check_type(c, 1, "y_scale", {DType::kFloat32}));
  LEDGE_TRY(quant::check_type(c, 2, "y_zero_point", {DType::kInt8, DType::kUInt8}));
  LEDGE_TRY(quant::check_axis_params(c, 0, 1, 2, quant_axis(c)));
  // Without a zero point the output is uint8 (zero point 0).
  const DType out = c.has_input(2) ? c.input_dtype(2) : DType::kUInt8;
  return c.set_output(0, TensorType{out, c.input_type(0).shape});
}

Status run_quantize_linear(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& scale = c.input(1);
  const Tensor* zp = c.input_or_null(2);
  const Shape zshape = zp ? zp->shape() : Shape();
  LEDGE_ASSIGN(
      const quant::AxisLayout layout,
      quant::axis_layout(c, x.shape(), scale.shape(), zp ? &zshape : nullptr, quant_axis(c)));
  const std::vector<float> scales = quant::read_floats(scale);
  const std::vector<int32_t> zps =
      zp ? quant::read_ints(*zp) : std::vector<int32_t>(scales.size(), 0);
  Tensor& y = c.output(0);
  return quant::dispatch_q8(y.dtype(), [&]<class Q>() -> Status {
    Q* py = y.data<Q>();
    const auto quantize_all = [&]<class X>() {
      const X* px = x.data<X>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const size_t k = static_cast<size_t>(layout.index(i));
        py[i] = quant::quantize<Q>(px[i], scales[k], zps[k]);
      }
    };
    if (x.dtype() == DType::kFloat32) {
      quantize_all.template operator()<float>();
      return Status();
    }
    if (x.dtype() == DType::kInt32) {
      quantize_all.template operator()<int32_t>();
      return Status();
    }
    return c.fail_unsupported("input x of type " + std::string(dtype_name(x.dtype())));
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(QuantizeLinear, ledge::infer_quantize_linear, ledge::run_quantize_linear)
