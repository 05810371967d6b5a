// GridSample (opset 16): samples X [N, C, H, W] at the normalized (x, y) locations of grid
// [N, H_out, W_out, 2], with bilinear / nearest / bicubic interpolation and zeros / border /
// reflection padding, as torch.nn.functional.grid_sample defines them. With align_corners=1
// the extremes -1 and 1 are the centers of the corner pixels, otherwise their outer edges.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/nn_common.h"

namespace ledge {
namespace {

struct Sampling {
  std::string mode, padding;
  bool align_corners = false;
};

Expected<Sampling> read_sampling(const NodeContext& c) {
  Sampling s;
  s.mode = c.attr_string("mode", "bilinear");
  s.padding = c.attr_string("padding_mode", "zeros");
  s.align_corners = c.attr_int("align_corners", 0) != 0;
  if (s.mode != "bilinear" && s.mode != "nearest" && s.mode != "bicubic")
    return c.fail("unknown mode '" + s.mode + "'");
  if (s.padding != "zeros" && s.padding != "border" && s.padding != "reflection")
    return c.fail("unknown padding_mode '" + s.padding + "'");
  return s;
}

Status infer_grid_sample(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  LEDGE_TRY(require_float(c, 1));
  LEDGE_TRY(read_sampling(c).status());
  const DType dt = c.input_dtype(0);
  if (dt == DType::kBool) return c.fail_unsupported("GridSample does not take bool");
  const int64_t rx = c.input_rank(0), rg = c.input_rank(1);
  if (rx >= 0 && rx != 4) return c.fail("X must have rank 4");
  if (rg >= 0 && rg != 4) return c.fail("grid must have rank 4");
  const std::vector<int64_t> x = dims_or_unknown(c.input_type(0), 4);
  const std::vector<int64_t> g = dims_or_unknown(c.input_type(1), 4);
  if (g[3] >= 0 && g[3] != 2) return c.fail("the last dimension of grid must be 2");
  if (x[0] >= 0 && g[0] >= 0 && x[0] != g[0])
    return c.fail("X and grid have different batch sizes");
  return c.set_output(0, dt, {x[0] >= 0 ? x[0] : g[0], x[1], g[1], g[2]});
}

// Maps a normalized coordinate to pixel units.
double unnormalize(double v, int64_t size, bool align_corners) {
  return align_corners ? (v + 1) / 2 * static_cast<double>(size - 1)
                       : ((v + 1) * static_cast<double>(size) - 1) / 2;
}

// Reflects v into [low, high] given as twice their values (so half-pixel bounds stay exact).
double reflect(double v, double twice_low, double twice_high) {
  if (twice_low == twice_high) return 0;
  const double low = twice_low / 2, span = (twice_high - twice_low) / 2;
  v = std::fabs(v - low);
  const double extra = std::fmod(v, span);
  const double flips = std::floor(v / span);
  return std::fmod(flips, 2.0) == 0 ? extra + low : span - extra + low;
}

// Applies border or reflection padding to a pixel coordinate.
double pad_coordinate(double v, int64_t size, const Sampling& s) {
  const double hi = static_cast<double>(size - 1);
  if (s.padding == "border") return std::clamp(v, 0.0, hi);
  if (s.padding == "reflection") {
    v = s.align_corners ? reflect(v, 0, 2 * hi) : reflect(v, -1, 2 * static_cast<double>(size) - 1);
    return std::clamp(v, 0.0, hi);
  }
  return v;
}

// A pixel index from an integral coordinate; -1 (outside) for NaN or absurd values, whose
// conversion would be undefined.
int64_t to_index(double v) {
  return std::isfinite(v) && std::fabs(v) < 1e15 ? static_cast<int64_t>(v) : -1;
}

double cubic_near(double t) {
  constexpr double a = -0.75;
  return ((a + 2) * t - (a + 3)) * t * t + 1;
}
double cubic_far(double t) {
  constexpr double a = -0.75;
  return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
}

template <class T>
Status grid_sample_kernel(KernelContext& c, const Sampling& s) {
  const Tensor& x = c.input(0);
  const Tensor& grid = c.input(1);
  Tensor& y = c.output(0);
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t Ho = grid.dim(1), Wo = grid.dim(2);
  const T* px = x.data<T>();
  T* py = y.data<T>();
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t h = 0; h < Ho; ++h) {
      for (int64_t w = 0; w < Wo; ++w) {
        const int64_t g = ((n * Ho + h) * Wo + w) * 2;
        const double gx = grid.as_double(g), gy = grid.as_double(g + 1);
        for (int64_t ch = 0; ch < C; ++ch) {
          const T* plane = px + (n * C + ch) * H * W;
          // Pixel value, 0 outside the image.
          auto pixel = [&](int64_t yy, int64_t xx) -> double {
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) return 0;
            return static_cast<double>(static_cast<compute_t<T>>(plane[yy * W + xx]));
          };
          double v = 0;
          if (s.mode == "bicubic") {
            const double ix = unnormalize(gx, W, s.align_corners);
            const double iy = unnormalize(gy, H, s.align_corners);
            const double x0 = std::floor(ix), y0 = std::floor(iy);
            const double tx = ix - x0, ty = iy - y0;
            const double wx[4] = {cubic_far(tx + 1), cubic_near(tx), cubic_near(1 - tx),
                                  cubic_far(2 - tx)};
            const double wy[4] = {cubic_far(ty + 1), cubic_near(ty), cubic_near(1 - ty),
                                  cubic_far(2 - ty)};
            for (int i = 0; i < 4; ++i) {
              for (int j = 0; j < 4; ++j) {
                // Each tap is padded on its own (border / reflection), as PyTorch does.
                const double yy = pad_coordinate(y0 - 1 + i, H, s);
                const double xx = pad_coordinate(x0 - 1 + j, W, s);
                v += wy[i] * wx[j] * pixel(to_index(std::floor(yy)), to_index(std::floor(xx)));
              }
            }
          } else {
            const double ix = pad_coordinate(unnormalize(gx, W, s.align_corners), W, s);
            const double iy = pad_coordinate(unnormalize(gy, H, s.align_corners), H, s);
            if (s.mode == "nearest") {
              v = pixel(to_index(std::nearbyint(iy)), to_index(std::nearbyint(ix)));
            } else {
              const double x0 = std::floor(ix), y0 = std::floor(iy);
              const double tx = ix - x0, ty = iy - y0;
              const int64_t xi = to_index(x0), yi = to_index(y0);
              v = (1 - ty) * ((1 - tx) * pixel(yi, xi) + tx * pixel(yi, xi + 1)) +
                  ty * ((1 - tx) * pixel(yi + 1, xi) + tx * pixel(yi + 1, xi + 1));
            }
          }
          py[((n * C + ch) * Ho + h) * Wo + w] = saturate_cast<T>(v);
        }
      }
    }
  }
  return Status();
}

Status run_grid_sample(KernelContext& c) {
  LEDGE_ASSIGN(const Sampling s, read_sampling(c));
  return dispatch<TypeSet::kFloat | TypeSet::kSigned | TypeSet::kUnsigned>(
      c.input(0).dtype(), [&]<class T>() -> Status { return grid_sample_kernel<T>(c, s); });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(GridSample, ledge::infer_grid_sample, ledge::run_grid_sample)
