// Upsample (deprecated since opset 10, but old models carry it): output dims are
// floor(input dim * scale), with nearest (rounding down) or linear interpolation in
// asymmetric coordinates. The scales come from the height_scale / width_scale attributes of
// a 4-D input (Upsample-1, mode "nearest" or "bilinear"), the `scales` attribute
// (Upsample-7), or the `scales` input (Upsample-9 and 10).
#include "ops/nn_common.h"
#include "ops/resize_common.h"

namespace ledge {
namespace {

// The scales, or an empty vector when they come from an input whose value is unknown.
Expected<std::vector<double>> read_scales(const NodeContext& c, const Tensor* scales_input,
                                          int64_t rank) {
  std::vector<double> scales;
  if (c.opset() >= 9) {
    if (!scales_input) return scales;
    for (int64_t i = 0; i < scales_input->numel(); ++i)
      scales.push_back(scales_input->as_double(i));
  } else if (c.opset() >= 7) {
    for (float f : c.attr_floats("scales")) scales.push_back(f);
  } else {
    if (rank != 4) return c.fail("Upsample-1 takes a 4-D input");
    scales = {1.0, 1.0, c.attr_float("height_scale", 1.f), c.attr_float("width_scale", 1.f)};
  }
  if (static_cast<int64_t>(scales.size()) != rank)
    return c.fail("scales has " + std::to_string(scales.size()) + " values for an input of rank " +
                  std::to_string(rank));
  for (double s : scales)
    if (!(s >= 1)) return c.fail("Upsample scales must be at least 1");
  return scales;
}

Expected<ResizeSpec> read_spec(const NodeContext& c) {
  ResizeSpec s;
  s.mode = c.attr_string("mode", "nearest");
  if (s.mode == "bilinear") s.mode = "linear";  // Upsample-1's name
  if (s.mode != "nearest" && s.mode != "linear") return c.fail("unknown mode '" + s.mode + "'");
  s.coordinate_mode = "asymmetric";
  s.nearest_mode = "simple";
  return s;
}

Status infer_upsample(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  if (c.opset() >= 9) LEDGE_TRY(require_input(c, 1, "input scales"));
  LEDGE_TRY(read_spec(c).status());
  const DType dt = c.input_dtype(0);
  const int64_t rank = c.input_rank(0);
  if (rank < 0) return c.set_output_unknown(0, dt);
  LEDGE_ASSIGN(const std::vector<double> scales, read_scales(c, c.input_value(1), rank));
  if (scales.empty() && rank > 0) return c.set_output_unknown(0, dt, rank);
  std::vector<int64_t> out = *c.input_type(0).shape;
  for (size_t d = 0; d < out.size(); ++d)
    if (out[d] >= 0) {
      LEDGE_ASSIGN(out[d], scaled_size(c, out[d], scales[d]));
    }
  return c.set_output(0, dt, std::move(out));
}

Status run_upsample(KernelContext& c) {
  const Tensor& x = c.input(0);
  LEDGE_ASSIGN(ResizeSpec s, read_spec(c));
  LEDGE_ASSIGN(s.scales, read_scales(c, c.input_or_null(1), x.rank()));
  return resize_tensor(c, x, s, c.output(0));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Upsample, ledge::infer_upsample, ledge::run_upsample)
