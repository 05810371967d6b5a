// Resize (opsets 10, 11, 13): nearest / linear / cubic interpolation of an N-D tensor to the
// size given by `scales` or `sizes`, with every coordinate_transformation_mode, nearest_mode,
// cubic_coeff_a, exclude_outside, and extrapolation_value with the roi of
// tf_crop_and_resize. Inputs: Resize-10 (X, scales); from 11 (X, roi, scales, sizes), where
// exactly one of scales and sizes is given (the other absent or empty). Resize-10 has only
// `mode`, and behaves like Upsample: asymmetric coordinates, nearest rounding down when
// enlarging and up when shrinking.
#include "ops/nn_common.h"
#include "ops/resize_common.h"

namespace ledge {
namespace {

struct ResizeInputs {
  const Tensor* roi = nullptr;
  const Tensor* scales = nullptr;
  const Tensor* sizes = nullptr;
  bool scales_unknown = false;  // present, but its value is not known yet
  bool sizes_unknown = false;
};

ResizeSpec read_attributes(const NodeContext& c) {
  ResizeSpec s;
  s.mode = c.attr_string("mode", "nearest");
  if (c.opset() < 11) {
    s.coordinate_mode = "asymmetric";
    s.nearest_mode = "simple";
    return s;
  }
  s.coordinate_mode = c.attr_string("coordinate_transformation_mode", "half_pixel");
  s.nearest_mode = c.attr_string("nearest_mode", "round_prefer_floor");
  s.cubic_a = c.attr_float("cubic_coeff_a", -0.75f);
  s.exclude_outside = c.attr_int("exclude_outside", 0) != 0;
  s.extrapolation_value = c.attr_float("extrapolation_value", 0.f);
  return s;
}

// Fills the scales (and the roi) of `s` and returns the output shape; dims of `in` may be
// -1 (unknown), giving -1 in the output.
Expected<std::vector<int64_t>> plan(const NodeContext& c, const ResizeInputs& r,
                                    const std::vector<int64_t>& in, ResizeSpec& s) {
  const size_t rank = in.size();
  const bool has_scales = r.scales && r.scales->numel() > 0;
  const bool has_sizes = r.sizes && r.sizes->numel() > 0;
  if (has_scales && has_sizes) return c.fail("only one of scales and sizes may be given");
  std::vector<int64_t> out(rank, -1);
  s.scales.assign(rank, 1.0);
  if (has_scales) {
    if (static_cast<size_t>(r.scales->numel()) != rank)
      return c.fail("scales has " + std::to_string(r.scales->numel()) +
                    " values for an input of rank " + std::to_string(rank));
    for (size_t d = 0; d < rank; ++d) {
      s.scales[d] = r.scales->as_double(static_cast<int64_t>(d));
      if (!(s.scales[d] > 0)) return c.fail("scales must be positive");
      if (in[d] >= 0) {
        LEDGE_ASSIGN(out[d], scaled_size(c, in[d], s.scales[d]));
      }
    }
  } else if (has_sizes) {
    if (static_cast<size_t>(r.sizes->numel()) != rank)
      return c.fail("sizes has " + std::to_string(r.sizes->numel()) +
                    " values for an input of rank " + std::to_string(rank));
    for (size_t d = 0; d < rank; ++d) {
      out[d] = r.sizes->as_int64(static_cast<int64_t>(d));
      if (out[d] < 0) return c.fail("sizes has a negative value");
      if (in[d] > 0) s.scales[d] = static_cast<double>(out[d]) / static_cast<double>(in[d]);
    }
  } else if (!r.scales_unknown && !r.sizes_unknown) {
    return c.fail("one of scales and sizes must be given");
  }
  if (s.coordinate_mode == "tf_crop_and_resize") {
    s.roi.clear();
    if (r.roi && r.roi->numel() > 0) {
      if (static_cast<size_t>(r.roi->numel()) != 2 * rank)
        return c.fail("roi must have " + std::to_string(2 * rank) + " values");
      for (int64_t i = 0; i < r.roi->numel(); ++i) s.roi.push_back(r.roi->as_double(i));
    } else {
      s.roi.assign(rank, 0.0);
      s.roi.resize(2 * rank, 1.0);
    }
  }
  return out;
}

Status infer_resize(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  const DType dt = c.input_dtype(0);
  ResizeSpec s = read_attributes(c);
  LEDGE_TRY(check_resize_spec(c, s));
  ResizeInputs r;
  const size_t scales_at = c.opset() < 11 ? 1 : 2;
  if (c.opset() < 11) LEDGE_TRY(require_input(c, 1, "input scales"));
  if (c.opset() >= 11) r.roi = c.input_value(1);
  r.scales = c.input_value(scales_at);
  r.scales_unknown = c.has_input(scales_at) && !r.scales;
  if (c.opset() >= 11) {
    r.sizes = c.input_value(3);
    r.sizes_unknown = c.has_input(3) && !r.sizes;
  }
  if (c.has_input(scales_at) && !dtype_is_float(c.input_dtype(scales_at)) &&
      c.input_dtype(scales_at) != DType::kUndefined)
    return c.fail("scales must be a floating-point tensor");
  if (c.has_input(3) && c.input_dtype(3) != DType::kInt64 && c.input_dtype(3) != DType::kUndefined)
    return c.fail("sizes must be int64");
  const int64_t rank = c.input_rank(0);
  if (rank < 0) return c.set_output_unknown(0, dt);
  // A value still unknown leaves the output dimensions unknown, unless the other one decides.
  if ((r.scales_unknown && !(r.sizes && r.sizes->numel() > 0)) ||
      (r.sizes_unknown && !(r.scales && r.scales->numel() > 0)))
    return c.set_output_unknown(0, dt, rank);
  LEDGE_ASSIGN(std::vector<int64_t> out, plan(c, r, *c.input_type(0).shape, s));
  return c.set_output(0, dt, std::move(out));
}

// ledge.QResize: Resize on the integers of a quantized tensor whose output has the input's
// scale and zero point (the CPU lowering of DQ → linear Resize → Q, src/lower/
// fuse_quantized.cpp). Linear interpolation commutes with the affine dequantization (its
// weights sum to 1), so Q(Resize(DQ(x))) is the interpolation of the integers, rounded half to
// even as QuantizeLinear rounds: the same up to the float rounding of the QDQ form.
// Inputs and attributes as Resize-13; X is uint8 or int8; mode linear.
Status infer_qresize(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  if (c.input_dtype(0) != DType::kUInt8 && c.input_dtype(0) != DType::kInt8)
    return c.fail("QResize takes uint8 or int8");
  if (c.attr_string("mode", "nearest") != "linear") return c.fail("QResize interpolates linearly");
  if (c.attr_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize")
    return c.fail("QResize does not crop");
  return infer_resize(c);
}

Status run_resize(KernelContext& c) {
  ResizeSpec s = read_attributes(c);
  s.round_to_nearest = c.node().domain == "ledge";
  ResizeInputs r;
  if (c.opset() < 11) {
    r.scales = c.input_or_null(1);
  } else {
    r.roi = c.input_or_null(1);
    r.scales = c.input_or_null(2);
    r.sizes = c.input_or_null(3);
  }
  const Tensor& x = c.input(0);
  LEDGE_ASSIGN(std::vector<int64_t> out, plan(c, r, x.shape(), s));
  (void)out;
  return resize_tensor(c, x, s, c.output(0));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Resize, ledge::infer_resize, ledge::run_resize)
LEDGE_DEFINE_OP_IN_DOMAIN(QResize, "ledge", ledge::infer_qresize, ledge::run_resize)
