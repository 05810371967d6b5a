// DequantizeLinear (opsets 10, 13): y = float(x - x_zero_point) * x_scale, per tensor or, from
// opset 13, per axis. int32 inputs (biases) have no zero point, or one that is 0.
#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

// As for QuantizeLinear: a per-axis scale is accepted in opset 10 too (axis 1, the default).
int64_t quant_axis(const NodeContext& c) { return c.attr_int("axis", 1); }

Status infer_dequantize_linear(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "x"));
  LEDGE_TRY(require_input(c, 1, "x_scale"));
  LEDGE_TRY(quant::check_type(c, 0, "x", {DType::kInt8, DType::kUInt8, DType::kInt32}));
  LEDGE_TRY(quant::check_type(c, 1, "x_scale", {DType::kFloat32}));
  LEDGE_TRY(quant::check_type(c, 2, "x_zero_point", {DType::kInt8, DType::kUInt8, DType::kInt32}));
  LEDGE_TRY(quant::check_same_type(c, 0, 2, "x_zero_point"));
  LEDGE_TRY(quant::check_axis_params(c, 0, 1, 2, quant_axis(c)));
  return c.set_output(0, TensorType{DType::kFloat32, c.input_type(0).shape});
}

Status run_dequantize_linear(KernelContext& c) {
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
  if (x.dtype() == DType::kInt32)
    for (int32_t z : zps)
      if (z != 0) return c.fail("an int32 input must have no zero point or a zero point of 0");
  float* py = c.output(0).data<float>();
  return dispatch<TypeSet::kSigned | TypeSet::kUnsigned>(x.dtype(), [&]<class T>() -> Status {
    if constexpr (!std::is_same_v<T, int8_t> && !std::is_same_v<T, uint8_t> &&
                  !std::is_same_v<T, int32_t>) {
      return c.fail_unsupported("input x of type " + std::string(dtype_name(x.dtype())));
    } else {
      const T* px = x.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const size_t k = static_cast<size_t>(layout.index(i));
        py[i] = quant::dequantize(px[i], zps[k], scales[k]);
      }
      return Status();
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(DequantizeLinear, ledge::infer_dequantize_linear, ledge::run_dequantize_linear)
