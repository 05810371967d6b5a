// DynamicQuantizeLinear (opset 11): computes a uint8 scale and zero point covering x's range
// (extended to include 0) and quantizes x with them.
#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

Status infer_dynamic_quantize_linear(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "x"));
  LEDGE_TRY(quant::check_type(c, 0, "x", {DType::kFloat32}));
  LEDGE_TRY(c.set_output(0, TensorType{DType::kUInt8, c.input_type(0).shape}));
  LEDGE_TRY(c.set_output(1, DType::kFloat32, {}));
  return c.set_output(2, DType::kUInt8, {});
}

Status run_dynamic_quantize_linear(KernelContext& c) {
  const Tensor& x = c.input(0);
  const float* px = x.data<float>();
  // The range always includes 0 so that 0 is exactly representable. NaNs take no part in it
  // (and quantize to the zero point).
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::isnan(px[i])) continue;
    lo = std::min(lo, px[i]);
    hi = std::max(hi, px[i]);
  }
  constexpr float kQRange = 255.f;  // uint8: qmax - qmin
  // An all-zero input would give scale 0; ONNX Runtime uses 1 there, and so do we.
  const float scale = hi == lo ? 1.f : (hi - lo) / kQRange;
  // zero point = saturate(round_half_even(qmin - min / scale)), qmin = 0.
  const uint8_t zp = quant::saturate_round<uint8_t>(0.f - lo / scale, 0);
  uint8_t* py = c.output(0).data<uint8_t>();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = quant::quantize<uint8_t>(px[i], scale, zp);
  if (c.num_outputs() > 1 && c.output(1).defined()) c.output(1).data<float>()[0] = scale;
  if (c.num_outputs() > 2 && c.output(2).defined()) c.output(2).data<uint8_t>()[0] = zp;
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(DynamicQuantizeLinear, ledge::infer_dynamic_quantize_linear,
                ledge::run_dynamic_quantize_linear)
