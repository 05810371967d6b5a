// The interpolation shared by Resize (opsets 10, 11, 13) and the deprecated Upsample.
//
// Interpolation is separable: along every dimension each output coordinate maps to an input
// coordinate (coordinate_transformation_mode) and from there to a few input positions with
// weights (1 for nearest, 2 for linear, 4 for cubic). An output element is the sum over the
// cartesian product of its per-dimension taps, which is what the ONNX reference computes
// by interpolating one dimension after the other.
#pragma once

#include <string>
#include <vector>

#include "ops/kernel.h"

namespace ledge {

struct ResizeSpec {
  std::string mode = "nearest";  // nearest, linear, cubic
  std::string coordinate_mode = "half_pixel";
  // round_prefer_floor, round_prefer_ceil, floor, ceil, or "simple" for Resize-10 and
  // Upsample: floor when enlarging, ceil when shrinking (as onnxruntime does).
  std::string nearest_mode = "round_prefer_floor";
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0;
  std::vector<double> scales;  // per dimension: output size / input size
  std::vector<double> roi;     // starts then ends (normalized), for tf_crop_and_resize
  // Integers: round to nearest, ties to even (ledge.QResize, as QuantizeLinear rounds), where
  // Resize truncates like the ONNX reference's astype.
  bool round_to_nearest = false;
};

// Validates the attribute values of `s` (modes, names).
Status check_resize_spec(const NodeContext& c, const ResizeSpec& s);

// Output size of a dimension of size `in` scaled by `scale`: floor(in * scale); an error
// when it is not a sensible size.
Expected<int64_t> scaled_size(const NodeContext& c, int64_t in, double scale);

// Resizes x into y, whose shape is the output shape.
Status resize_tensor(const NodeContext& c, const Tensor& x, const ResizeSpec& s, Tensor& y);

}  // namespace ledge
