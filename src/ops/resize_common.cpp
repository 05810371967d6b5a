#include "ops/resize_common.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/nn_common.h"

namespace ledge {

namespace {

struct Tap {
  int64_t index;
  double weight;
};

// The taps of one output coordinate along one dimension; `extrapolate` when it falls
// outside the crop of tf_crop_and_resize.
struct AxisTaps {
  bool extrapolate = false;
  std::vector<Tap> taps;
};

double original_coordinate(const ResizeSpec& s, size_t d, double x, int64_t in) {
  const double scale = s.scales[d];
  // Like the ONNX reference, the resized length is in * scale, not the rounded output size.
  const double resized = scale * static_cast<double>(in);
  const std::string& m = s.coordinate_mode;
  if (m == "asymmetric") return x / scale;
  if (m == "pytorch_half_pixel") return resized > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (m == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (m == "align_corners")
    return resized == 1 ? 0.0 : x * static_cast<double>(in - 1) / (resized - 1);
  if (m == "tf_crop_and_resize") {
    const size_t rank = s.roi.size() / 2;
    const double start = s.roi[d], end = s.roi[d + rank];
    const double span = static_cast<double>(in - 1);
    return resized > 1 ? start * span + x * (end - start) * span / (resized - 1)
                       : 0.5 * (start + end) * span;
  }
  return (x + 0.5) / scale - 0.5;  // half_pixel
}

int64_t nearest_index(const ResizeSpec& s, size_t d, double x) {
  const double fl = std::floor(x);
  if (x == fl) return static_cast<int64_t>(fl);
  const double frac = x - fl;
  const std::string& m = s.nearest_mode;
  if (m == "round_prefer_ceil") return static_cast<int64_t>(frac < 0.5 ? fl : fl + 1);
  if (m == "floor") return static_cast<int64_t>(fl);
  if (m == "ceil") return static_cast<int64_t>(fl + 1);
  if (m == "simple") return static_cast<int64_t>(s.scales[d] < 1 ? fl + 1 : std::trunc(x));
  return static_cast<int64_t>(frac <= 0.5 ? fl : fl + 1);  // round_prefer_floor
}

std::vector<double> cubic_coeffs(double r, double a) {
  auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };       // |t| <= 1
  auto far = [a](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };  // 1 < |t| < 2
  return {far(r + 1), near(r), near(1 - r), far(2 - r)};
}

AxisTaps axis_taps(const ResizeSpec& s, size_t d, int64_t o, int64_t in) {
  AxisTaps t;
  double x = original_coordinate(s, d, static_cast<double>(o), in);
  if (s.coordinate_mode == "tf_crop_and_resize" && (x < 0 || x > static_cast<double>(in - 1))) {
    t.extrapolate = true;
    return t;
  }
  // Far outside the input every tap reads the edge, so clamping x changes no result but keeps
  // the index arithmetic defined; a NaN coordinate (from a NaN scale or roi) reads position 0.
  x = std::isnan(x) ? 0.0 : std::clamp(x, -8.0, static_cast<double>(in) + 8.0);
  std::vector<Tap> raw;
  if (s.mode == "nearest") {
    raw.push_back({nearest_index(s, d, x), 1.0});
  } else {
    const double fl = std::floor(x);
    const double r = x - fl;
    const int64_t lo = static_cast<int64_t>(fl);
    if (s.mode == "linear") {
      raw = {{lo, 1 - r}, {lo + 1, r}};
    } else {
      const std::vector<double> w = cubic_coeffs(r, s.cubic_a);
      for (int64_t k = 0; k < 4; ++k) raw.push_back({lo - 1 + k, w[static_cast<size_t>(k)]});
    }
  }
  if (s.exclude_outside) {
    double sum = 0;
    for (Tap& tap : raw) {
      if (tap.index < 0 || tap.index >= in) tap.weight = 0;
      sum += tap.weight;
    }
    if (sum != 0)
      for (Tap& tap : raw) tap.weight /= sum;
  }
  // Positions outside the input repeat the edge (the reference pads in 'edge' mode).
  for (Tap& tap : raw) {
    tap.index = std::clamp<int64_t>(tap.index, 0, in - 1);
    if (tap.weight != 0) t.taps.push_back(tap);
  }
  if (t.taps.empty()) t.taps.push_back({raw[0].index, 0.0});
  return t;
}

}  // namespace

Status check_resize_spec(const NodeContext& c, const ResizeSpec& s) {
  if (s.mode != "nearest" && s.mode != "linear" && s.mode != "cubic")
    return c.fail("unknown mode '" + s.mode + "'");
  const std::string& m = s.coordinate_mode;
  if (m != "half_pixel" && m != "pytorch_half_pixel" && m != "align_corners" && m != "asymmetric" &&
      m != "tf_half_pixel_for_nn" && m != "tf_crop_and_resize")
    return c.fail("unknown coordinate_transformation_mode '" + m + "'");
  const std::string& n = s.nearest_mode;
  if (n != "round_prefer_floor" && n != "round_prefer_ceil" && n != "floor" && n != "ceil" &&
      n != "simple")
    return c.fail("unknown nearest_mode '" + n + "'");
  return Status();
}

Expected<int64_t> scaled_size(const NodeContext& c, int64_t in, double scale) {
  const double out = std::floor(scale * static_cast<double>(in));
  if (!(out >= 0 && out < 1e15))
    return c.fail("scale " + std::to_string(scale) + " is out of range");
  return static_cast<int64_t>(out);
}

// Whether only the last two dimensions are interpolated: every other one maps each output
// index to the same input index with weight 1, and nothing is extrapolated.
bool planes_only(const std::vector<std::vector<AxisTaps>>& taps) {
  if (taps.size() < 2) return false;
  for (size_t d = 0; d < taps.size(); ++d)
    for (size_t o = 0; o < taps[d].size(); ++o) {
      const AxisTaps& t = taps[d][o];
      if (t.extrapolate) return false;
      if (d + 2 < taps.size() &&
          (t.taps.size() != 1 || t.taps[0].index != static_cast<int64_t>(o) ||
           t.taps[0].weight != 1))
        return false;
    }
  return true;
}

// The general loop below for that case, plane by plane, with the same arithmetic in the same
// order (so the same results: the weight wy·wx, as 1·1·…·wy·wx rounds, then the sum in tap
// order): the general loop's per-element bookkeeping made a 64x64x64 upsampling take 50 ms.
template <class T, class Convert>
void resize_planes(const std::vector<std::vector<AxisTaps>>& taps, const Shape& xs, const Shape& ys,
                   const T* px, T* py, Convert convert) {
  const size_t rank = xs.size();
  const int64_t ih = xs[rank - 2], iw = xs[rank - 1], oh = ys[rank - 2], ow = ys[rank - 1];
  int64_t planes = 1;
  for (size_t d = 0; d + 2 < rank; ++d) planes *= xs[d];
  const auto& ty = taps[rank - 2];
  const auto& tx = taps[rank - 1];
  for (int64_t p = 0; p < planes; ++p) {
    const T* plane = px + p * ih * iw;
    T* out = py + p * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const std::vector<Tap>& wy = ty[static_cast<size_t>(oy)].taps;
      for (int64_t ox = 0; ox < ow; ++ox) {
        const std::vector<Tap>& wx = tx[static_cast<size_t>(ox)].taps;
        double sum = 0;
        for (const Tap& a : wy)
          for (const Tap& b : wx)
            sum += a.weight * b.weight *
                   static_cast<double>(static_cast<compute_t<T>>(plane[a.index * iw + b.index]));
        out[oy * ow + ox] = convert(sum);
      }
    }
  }
}

Status resize_tensor(const NodeContext& c, const Tensor& x, const ResizeSpec& s, Tensor& y) {
  const size_t rank = static_cast<size_t>(x.rank());
  if (y.numel() == 0) return Status();
  for (size_t d = 0; d < rank; ++d)
    if (x.dim(static_cast<int64_t>(d)) == 0)
      return c.fail("cannot resize an empty dimension to a non-empty one");
  if (s.coordinate_mode == "tf_crop_and_resize" && s.roi.size() != 2 * rank)
    return c.fail("roi must have " + std::to_string(2 * rank) + " values");
  std::vector<std::vector<AxisTaps>> taps(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = x.dim(static_cast<int64_t>(d)), out = y.dim(static_cast<int64_t>(d));
    for (int64_t o = 0; o < out; ++o) taps[d].push_back(axis_taps(s, d, o, in));
  }
  const std::vector<int64_t> in_strides = strides_of(x.shape());
  return dispatch<TypeSet::kAll>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    // Integers truncate like the reference's astype (saturating where that is undefined), or
    // round half to even for ledge.QResize.
    auto convert = [&s](double v) {
      if constexpr (std::is_integral_v<T>)
        if (s.round_to_nearest) return saturate_cast<T>(std::nearbyint(v));
      return saturate_cast<T>(v);
    };
    const T extrapolated = convert(s.extrapolation_value);
    if (s.mode != "nearest" && planes_only(taps)) {
      resize_planes(taps, x.shape(), y.shape(), px, py, convert);
      return;
    }
    std::vector<int64_t> o(rank, 0), k(rank), sizes(rank);
    std::vector<const AxisTaps*> at(rank);
    int64_t oi = 0;
    do {
      bool extrapolate = false;
      for (size_t d = 0; d < rank; ++d) {
        at[d] = &taps[d][static_cast<size_t>(o[d])];
        extrapolate = extrapolate || at[d]->extrapolate;
        sizes[d] = static_cast<int64_t>(at[d]->taps.size());
      }
      if (extrapolate) {
        py[oi++] = extrapolated;
        continue;
      }
      if (s.mode == "nearest") {
        int64_t off = 0;
        for (size_t d = 0; d < rank; ++d) off += at[d]->taps[0].index * in_strides[d];
        py[oi++] = px[off];
        continue;
      }
      double sum = 0;
      std::fill(k.begin(), k.end(), 0);
      do {
        int64_t off = 0;
        double w = 1;
        for (size_t d = 0; d < rank; ++d) {
          const Tap& tap = at[d]->taps[static_cast<size_t>(k[d])];
          off += tap.index * in_strides[d];
          w *= tap.weight;
        }
        sum += w * static_cast<double>(static_cast<compute_t<T>>(px[off]));
      } while (next_index(k, sizes));
      py[oi++] = convert(sum);
    } while (next_index(o, y.shape()));
  });
}

}  // namespace ledge
