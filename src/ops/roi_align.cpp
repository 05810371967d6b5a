// RoiAlign (opsets 10 and 16): pools every region of interest rois[r] = (x1, y1, x2, y2) of
// image batch_indices[r] of X [N, C, H, W] into [output_height, output_width] bins, each
// the average (or maximum) of bilinearly interpolated sample points, as Mask R-CNN and
// onnxruntime define it. coordinate_transformation_mode (opset 16, default half_pixel)
// shifts the scaled roi by half a pixel; opset 10 behaves as output_half_pixel (no shift).
// In max mode each sample contributes the largest of its four weighted corner values, as in
// onnxruntime, which the ONNX reference follows.
#include <algorithm>
#include <cmath>

#include "ops/nn_common.h"

namespace ledge {
namespace {

struct RoiParams {
  bool max_mode = false;
  int64_t out_h = 1, out_w = 1, sampling_ratio = 0;
  double spatial_scale = 1;
  bool half_pixel = false;
};

Expected<RoiParams> read_params(const NodeContext& c) {
  RoiParams p;
  const std::string mode = c.attr_string("mode", "avg");
  if (mode != "avg" && mode != "max") return c.fail("unknown mode '" + mode + "'");
  p.max_mode = mode == "max";
  p.out_h = c.attr_int("output_height", 1);
  p.out_w = c.attr_int("output_width", 1);
  if (p.out_h < 1 || p.out_w < 1) return c.fail("output_height and output_width must be positive");
  p.sampling_ratio = c.attr_int("sampling_ratio", 0);
  if (p.sampling_ratio < 0) return c.fail("sampling_ratio must not be negative");
  p.spatial_scale = c.attr_float("spatial_scale", 1.f);
  if (c.opset() >= 16) {
    const std::string ctm = c.attr_string("coordinate_transformation_mode", "half_pixel");
    if (ctm != "half_pixel" && ctm != "output_half_pixel")
      return c.fail("unknown coordinate_transformation_mode '" + ctm + "'");
    p.half_pixel = ctm == "half_pixel";
  }
  return p;
}

Status infer_roi_align(InferContext& c) {
  for (size_t i = 0; i < 3; ++i) LEDGE_TRY(require_input(c, i));
  LEDGE_TRY(require_float(c, 0));
  LEDGE_TRY(require_same_type(c, 1));
  if (c.input_dtype(2) != DType::kUndefined && c.input_dtype(2) != DType::kInt64)
    return c.fail("batch_indices must be int64");
  LEDGE_ASSIGN(const RoiParams p, read_params(c));
  if (c.input_rank(0) >= 0 && c.input_rank(0) != 4) return c.fail("X must have rank 4");
  if (c.input_rank(1) >= 0 && c.input_rank(1) != 2) return c.fail("rois must have rank 2");
  if (c.input_rank(2) >= 0 && c.input_rank(2) != 1) return c.fail("batch_indices must have rank 1");
  const std::vector<int64_t> x = dims_or_unknown(c.input_type(0), 4);
  const std::vector<int64_t> r = dims_or_unknown(c.input_type(1), 2);
  const std::vector<int64_t> b = dims_or_unknown(c.input_type(2), 1);
  if (r[1] >= 0 && r[1] != 4) return c.fail("rois must have shape [num_rois, 4]");
  if (r[0] >= 0 && b[0] >= 0 && r[0] != b[0])
    return c.fail("rois and batch_indices have different lengths");
  return c.set_output(0, c.input_dtype(0), {r[0] >= 0 ? r[0] : b[0], x[1], p.out_h, p.out_w});
}

// One bilinear sample: four positions in the plane with their weights.
struct Sample {
  int64_t pos[4] = {0, 0, 0, 0};
  double w[4] = {0, 0, 0, 0};
};

Sample bilinear_sample(double y, double x, int64_t H, int64_t W) {
  Sample s;
  // Points more than one pixel outside the image contribute nothing.
  if (!std::isfinite(y) || !std::isfinite(x) || y < -1.0 || y > static_cast<double>(H) ||
      x < -1.0 || x > static_cast<double>(W))
    return s;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y_lo = static_cast<int64_t>(y), x_lo = static_cast<int64_t>(x), y_hi, x_hi;
  if (y_lo >= H - 1) {
    y_hi = y_lo = H - 1;
    y = static_cast<double>(y_lo);
  } else {
    y_hi = y_lo + 1;
  }
  if (x_lo >= W - 1) {
    x_hi = x_lo = W - 1;
    x = static_cast<double>(x_lo);
  } else {
    x_hi = x_lo + 1;
  }
  const double ly = y - static_cast<double>(y_lo), lx = x - static_cast<double>(x_lo);
  const double hy = 1 - ly, hx = 1 - lx;
  s.pos[0] = y_lo * W + x_lo;
  s.pos[1] = y_lo * W + x_hi;
  s.pos[2] = y_hi * W + x_lo;
  s.pos[3] = y_hi * W + x_hi;
  s.w[0] = hy * hx;
  s.w[1] = hy * lx;
  s.w[2] = ly * hx;
  s.w[3] = ly * lx;
  return s;
}

// Samples per bin edge when sampling_ratio is 0: ceil(bin size); none for an empty or NaN
// bin, and at most 1e6 (check_scratch then rejects what does not fit).
int64_t adaptive_samples(double bin) {
  if (!(bin > 0)) return 0;
  return static_cast<int64_t>(std::ceil(std::min(bin, 1e6)));
}

Status run_roi_align(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& rois = c.input(1);
  const Tensor& batch = c.input(2);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(const RoiParams p, read_params(c));
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t R = rois.dim(0);
  const double offset = p.half_pixel ? 0.5 : 0.0;
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() -> Status {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t r = 0; r < R; ++r) {
      const int64_t b = batch.data<int64_t>()[r];
      if (b < 0 || b >= N)
        return c.fail("batch index " + std::to_string(b) + " is out of range for " +
                      std::to_string(N) + " images");
      const double x1 = rois.as_double(r * 4) * p.spatial_scale - offset;
      const double y1 = rois.as_double(r * 4 + 1) * p.spatial_scale - offset;
      const double x2 = rois.as_double(r * 4 + 2) * p.spatial_scale - offset;
      const double y2 = rois.as_double(r * 4 + 3) * p.spatial_scale - offset;
      double roi_w = x2 - x1, roi_h = y2 - y1;
      if (!p.half_pixel) {
        // Without the half-pixel shift, regions are at least one pixel (legacy behaviour).
        roi_w = std::max(roi_w, 1.0);
        roi_h = std::max(roi_h, 1.0);
      }
      const double bin_h = roi_h / static_cast<double>(p.out_h);
      const double bin_w = roi_w / static_cast<double>(p.out_w);
      // Sample points per bin: sampling_ratio, else adaptive (ceil of the bin size).
      const int64_t grid_h = p.sampling_ratio > 0 ? p.sampling_ratio : adaptive_samples(bin_h);
      const int64_t grid_w = p.sampling_ratio > 0 ? p.sampling_ratio : adaptive_samples(bin_w);
      const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
      LEDGE_TRY(check_scratch(c,
                              static_cast<double>(p.out_h) * static_cast<double>(p.out_w) *
                                  static_cast<double>(grid_h) * static_cast<double>(grid_w),
                              sizeof(Sample)));
      std::vector<Sample> samples;
      for (int64_t ph = 0; ph < p.out_h; ++ph)
        for (int64_t pw = 0; pw < p.out_w; ++pw)
          for (int64_t iy = 0; iy < grid_h; ++iy)
            for (int64_t ix = 0; ix < grid_w; ++ix) {
              const double yy =
                  y1 + static_cast<double>(ph) * bin_h +
                  (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h);
              const double xx =
                  x1 + static_cast<double>(pw) * bin_w +
                  (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w);
              samples.push_back(bilinear_sample(yy, xx, H, W));
            }
      const size_t per_bin = static_cast<size_t>(grid_h * grid_w);
      for (int64_t ch = 0; ch < C; ++ch) {
        const T* plane = px + (b * C + ch) * H * W;
        auto v = [&](int64_t pos) {
          return static_cast<double>(static_cast<compute_t<T>>(plane[pos]));
        };
        for (int64_t bin = 0; bin < p.out_h * p.out_w; ++bin) {
          double out = 0;
          bool first = true;
          for (size_t k = 0; k < per_bin; ++k) {
            const Sample& s = samples[static_cast<size_t>(bin) * per_bin + k];
            if (p.max_mode) {
              double m = s.w[0] * v(s.pos[0]);
              for (int q = 1; q < 4; ++q) m = std::max(m, s.w[q] * v(s.pos[q]));
              out = first ? m : std::max(out, m);
              first = false;
            } else {
              for (int q = 0; q < 4; ++q) out += s.w[q] * v(s.pos[q]);
            }
          }
          if (!p.max_mode) out /= count;
          py[(r * C + ch) * p.out_h * p.out_w + bin] = static_cast<T>(out);
        }
      }
    }
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(RoiAlign, ledge::infer_roi_align, ledge::run_roi_align)
