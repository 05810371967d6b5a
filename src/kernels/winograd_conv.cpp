// Winograd F(4x4, 3x3) convolution (see winograd_conv.h). Transform matrices from Lavin &
// Gray, "Fast Algorithms for Convolutional Neural Networks" (interpolation points 0, ±1,
// ±2 and infinity):
//   input   Bᵀ d B    Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
//                           0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   weights G g Gᵀ    G  = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
//                           1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   output  Aᵀ m A    Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// The transforms run on 16 channels at a time (NHWC keeps them contiguous) with GCC vector
// types, which the compiler maps to AVX-512, AVX2 or NEON registers. The 36 products use
// ledge's own GEMM (gemm.h), whose packed weights are written here directly in its layout.
#include "kernels/winograd_conv.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "core/memory.h"
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace ledge {
namespace {

constexpr int64_t kTile = 4;     // outputs per tile side
constexpr int64_t kPoints = 36;  // 6x6 transformed values per tile
constexpr int64_t kLanes = 16;   // channels per vector
// Workspace of one worker's block of tiles (their transformed inputs and products): small
// enough to stay in a core's L2 cache.
constexpr int64_t kWorkspaceBudget = int64_t{512} << 10;
// Largest transformed weights: 4x the direct kernel's, so large layers stay direct.
constexpr int64_t kMaxWeightBytes = int64_t{4} << 20;

using v16 = float __attribute__((vector_size(kLanes * sizeof(float))));

// Vectors go in and out by reference: passed by value, a 64-byte vector would change the
// calling convention between the AVX2 and AVX-512 builds of the callers (clang refuses that).
inline void load(v16& v, const float* p, int64_t n) {
  v = v16{};
  std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(float));
}
inline void store(float* p, const v16& v, int64_t n) {
  std::memcpy(p, &v, static_cast<size_t>(n) * sizeof(float));
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

struct Geometry {
  int64_t h = 0, w = 0, c = 0, c_pad = 0;       // input
  int64_t oh = 0, ow = 0, o = 0, o_pad = 0;     // output
  int64_t y_stride = 0;                         // floats from one output pixel to the next
  int64_t tiles_h = 0, tiles_w = 0, tiles = 0;  // over the whole batch
  int64_t pad_top = 0, pad_left = 0;
  int64_t block = 0;  // tiles per block
};

// Bᵀ d B of tile t (16 channels at a time) into row `row` of the 36 matrices at v.
LEDGE_SIMD_CLONES void transform_input(const Geometry& g, const float* x, const float* zero,
                                       int64_t t, int64_t row, float* v) {
  const int64_t per_image = g.tiles_h * g.tiles_w;
  const int64_t n = t / per_image, ty = t % per_image / g.tiles_w, tx = t % g.tiles_w;
  const float* p[kPoints];
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 6; ++j) {
      const int64_t y = ty * kTile + i - g.pad_top, xx = tx * kTile + j - g.pad_left;
      const bool inside = y >= 0 && y < g.h && xx >= 0 && xx < g.w;
      p[i * 6 + j] = inside ? x + ((n * g.h + y) * g.w + xx) * g.c : zero;
    }
  const int64_t stride = g.block * g.c_pad;  // between the 36 matrices
  float* dst = v + row * g.c_pad;
  for (int64_t c = 0; c < g.c; c += kLanes) {
    const int64_t lanes = std::min(kLanes, g.c - c);
    v16 r[kPoints];
    for (int j = 0; j < 6; ++j) {  // columns: Bᵀ d
      v16 d0, d1, d2, d3, d4, d5;
      load(d0, p[j] + c, lanes);
      load(d1, p[6 + j] + c, lanes);
      load(d2, p[12 + j] + c, lanes);
      load(d3, p[18 + j] + c, lanes);
      load(d4, p[24 + j] + c, lanes);
      load(d5, p[30 + j] + c, lanes);
      r[j] = 4 * d0 - 5 * d2 + d4;
      r[6 + j] = -4 * (d1 + d2) + d3 + d4;
      r[12 + j] = 4 * (d1 - d2) - d3 + d4;
      r[18 + j] = 2 * (d3 - d1) - d2 + d4;
      r[24 + j] = 2 * (d1 - d3) - d2 + d4;
      r[30 + j] = 4 * d1 - 5 * d3 + d5;
    }
    for (int i = 0; i < 6; ++i) {  // rows: (Bᵀ d) B
      const v16 d0 = r[i * 6], d1 = r[i * 6 + 1], d2 = r[i * 6 + 2], d3 = r[i * 6 + 3],
                d4 = r[i * 6 + 4], d5 = r[i * 6 + 5];
      float* out = dst + i * 6 * stride + c;  // c_pad is a multiple of 16: whole stores fit
      store(out, 4 * d0 - 5 * d2 + d4, kLanes);
      store(out + stride, -4 * (d1 + d2) + d3 + d4, kLanes);
      store(out + 2 * stride, 4 * (d1 - d2) - d3 + d4, kLanes);
      store(out + 3 * stride, 2 * (d3 - d1) - d2 + d4, kLanes);
      store(out + 4 * stride, 2 * (d1 - d3) - d2 + d4, kLanes);
      store(out + 5 * stride, 4 * d1 - 5 * d3 + d5, kLanes);
    }
  }
}

// Aᵀ m A of row `row` of the 36 product matrices at m, plus bias, clamped (then HardSwish
// when fused), into tile t of y.
LEDGE_SIMD_CLONES void transform_output(const Geometry& g, const float* m, const float* bias,
                                        float lo, float hi, bool hard_swish, int64_t t, int64_t row,
                                        float* y) {
  const int64_t per_image = g.tiles_h * g.tiles_w;
  const int64_t n = t / per_image, ty = t % per_image / g.tiles_w, tx = t % g.tiles_w;
  const int64_t stride = g.block * g.o_pad;
  const float* src = m + row * g.o_pad;
  const v16 vlo = v16{} + lo, vhi = v16{} + hi;
  for (int64_t o = 0; o < g.o; o += kLanes) {
    const int64_t lanes = std::min(kLanes, g.o - o);
    v16 b;
    load(b, bias + o, kLanes);  // bias is padded to o_pad
    v16 r[4][6];
    for (int j = 0; j < 6; ++j) {  // columns: Aᵀ m
      const float* s = src + j * stride + o;
      v16 m0, m1, m2, m3, m4, m5;
      load(m0, s, kLanes);
      load(m1, s + 6 * stride, kLanes);
      load(m2, s + 12 * stride, kLanes);
      load(m3, s + 18 * stride, kLanes);
      load(m4, s + 24 * stride, kLanes);
      load(m5, s + 30 * stride, kLanes);
      r[0][j] = m0 + m1 + m2 + m3 + m4;
      r[1][j] = m1 - m2 + 2 * (m3 - m4);
      r[2][j] = m1 + m2 + 4 * (m3 + m4);
      r[3][j] = m1 - m2 + 8 * (m3 - m4) + m5;
    }
    for (int64_t i = 0; i < kTile; ++i) {  // rows: (Aᵀ m) A
      const int64_t oy = ty * kTile + i;
      if (oy >= g.oh) break;
      const v16 m0 = r[i][0], m1 = r[i][1], m2 = r[i][2], m3 = r[i][3], m4 = r[i][4], m5 = r[i][5];
      v16 q[kTile] = {m0 + m1 + m2 + m3 + m4 + b, m1 - m2 + 2 * (m3 - m4) + b,
                      m1 + m2 + 4 * (m3 + m4) + b, m1 - m2 + 8 * (m3 - m4) + m5 + b};
      for (int64_t j = 0; j < kTile; ++j) {
        const int64_t ox = tx * kTile + j;
        if (ox >= g.ow) break;
        q[j] = q[j] < vlo ? vlo : q[j];
        q[j] = q[j] > vhi ? vhi : q[j];
        if (hard_swish) {
          v16 s = q[j] * (1.f / 6) + 0.5f;
          s = s < 0 ? v16{} : s;
          s = s > 1 ? v16{} + 1 : s;
          q[j] *= s;
        }
        store(y + ((n * g.oh + oy) * g.ow + ox) * g.y_stride + o, q[j], lanes);
      }
    }
  }
}

// G g Gᵀ for every (out, in) channel pair, as 36 matrices B[in, out] in the GEMM's packed
// layout, one after the other (`stride` floats apart). Computed in double so the transform
// adds no rounding of its own.
void transform_weights(const float* w, int64_t o_count, int64_t c_count, float* packed,
                       size_t stride) {
  static const double G[6][3] = {{1 / 4.0, 0, 0},
                                 {-1 / 6.0, -1 / 6.0, -1 / 6.0},
                                 {-1 / 6.0, 1 / 6.0, -1 / 6.0},
                                 {1 / 24.0, 1 / 12.0, 1 / 6.0},
                                 {1 / 24.0, -1 / 12.0, 1 / 6.0},
                                 {0, 0, 1}};
  const auto k = static_cast<size_t>(c_count);
  std::vector<double> gw(static_cast<size_t>(c_count * 18));  // G g of each in-channel
  for (int64_t o = 0; o < o_count; ++o) {
    const float* wo = w + o * 9 * c_count;  // [3, 3, C]
    for (int64_t c = 0; c < c_count; ++c)
      for (int i = 0; i < 6; ++i)
        for (int kx = 0; kx < 3; ++kx)
          gw[static_cast<size_t>(c * 18 + i * 3 + kx)] = G[i][0] * wo[kx * c_count + c] +
                                                         G[i][1] * wo[(3 + kx) * c_count + c] +
                                                         G[i][2] * wo[(6 + kx) * c_count + c];
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        float* b = packed + static_cast<size_t>(i * 6 + j) * stride;
        for (int64_t c = 0; c < c_count; ++c) {
          const double* g = gw.data() + c * 18 + i * 3;
          b[gemm_packed_index(k, static_cast<size_t>(c), static_cast<size_t>(o))] =
              static_cast<float>(g[0] * G[j][0] + g[1] * G[j][1] + g[2] * G[j][2]);
        }
      }
  }
}

class WinogradConv : public PreparedKernel {
 public:
  WinogradConv(const Geometry& g, std::vector<float> bias, ActivationRange act, pthreadpool_t pool)
      : g_(g),
        bias_(std::move(bias)),
        act_(act),
        pool_(pool),
        zero_(static_cast<size_t>(g.c_pad), 0.f) {}

  Status pack_weights(const float* w) {
    weight_stride_ = gemm_packed_size(static_cast<size_t>(g_.c), static_cast<size_t>(g_.o));
    weights_.reset(static_cast<float*>(allocate_block(kPoints * weight_stride_ * sizeof(float))));
    if (!weights_) return resource_limit("out of memory for Winograd weights");
    transform_weights(w, g_.o, g_.c, weights_.get(), weight_stride_);
    return Status();
  }

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    if (!workspace_) return internal_error("Winograd convolution run without its workspace");
    x_ = inputs[0]->data<float>();
    y_ = outputs[0]->data<float>();
    pthreadpool_parallelize_1d(pool_, worker, this, static_cast<size_t>(workers_), 0);
    return Status();
  }

  bool packed_constants() const override { return true; }
  // One block's transformed inputs and products per worker.
  size_t workspace_bytes() const override {
    return static_cast<size_t>(workers_ * slot_floats()) * sizeof(float);
  }
  // The workspace is shared with other kernels (and other sessions): nothing in it
  // survives from one run to the next.
  void set_workspace(uint8_t* base) override { workspace_ = reinterpret_cast<float*>(base); }
  void set_workers(int workers) { workers_ = std::max(1, workers); }
  bool accepts_output_row_stride() const override { return true; }
  void set_output_row_stride(size_t stride) override { g_.y_stride = static_cast<int64_t>(stride); }

 private:
  int64_t slot_floats() const { return kPoints * g_.block * (g_.c_pad + g_.o_pad); }

  // Worker `slot` (one per thread) runs blocks slot, slot + workers, ... and all three
  // steps of each block itself, in its own slot of the workspace: one hand-off per run
  // instead of three per block, and the block stays in that core's cache. (Blocks taken
  // from a shared counter instead went all to the calling thread before the other woke.)
  static void worker(void* self, size_t slot) {
    auto* k = static_cast<WinogradConv*>(self);
    const Geometry& g = k->g_;
    float* v = k->workspace_ + static_cast<int64_t>(slot) * k->slot_floats();
    float* m = v + kPoints * g.block * g.c_pad;
    const auto c_pad = static_cast<size_t>(g.c_pad), o_pad = static_cast<size_t>(g.o_pad);
    const int64_t step = g.block * k->workers_;
    for (int64_t first = static_cast<int64_t>(slot) * g.block; first < g.tiles; first += step) {
      const int64_t count = std::min(g.block, g.tiles - first);
      for (int64_t r = 0; r < count; ++r)
        transform_input(g, k->x_, k->zero_.data(), first + r, r, v);
      for (int64_t point = 0; point < kPoints; ++point)
        gemm(static_cast<size_t>(count), static_cast<size_t>(g.o), static_cast<size_t>(g.c),
             v + point * g.block * g.c_pad, c_pad,
             k->weights_.get() + static_cast<size_t>(point) * k->weight_stride_,
             m + point * g.block * g.o_pad, o_pad);
      for (int64_t r = 0; r < count; ++r)
        transform_output(g, m, k->bias_.data(), k->act_.min, k->act_.max, k->act_.hard_swish,
                         first + r, r, k->y_);
    }
  }

  Geometry g_;
  std::vector<float> bias_;
  ActivationRange act_;
  pthreadpool_t pool_;
  BlockPtr<float> weights_;  // 36 packed matrices
  size_t weight_stride_ = 0;
  std::vector<float> zero_;  // c_pad zeros: the padding around the image
  int workers_ = 1;
  float* workspace_ =
      nullptr;  // per worker: 36 x block x c_pad inputs, 36 x block x o_pad products
  // The run in progress, read by the tasks.
  const float* x_ = nullptr;
  float* y_ = nullptr;
};

int64_t tiles_of(const WinogradShape& s) {
  return s.batch * ((s.out_h + kTile - 1) / kTile) * ((s.out_w + kTile - 1) / kTile);
}

}  // namespace

bool winograd_applies(const Window2d& win, int64_t group, const WinogradShape& s) {
  if (win.kh != 3 || win.kw != 3 || win.sh != 1 || win.sw != 1 || win.dh != 1 || win.dw != 1 ||
      group != 1)
    return false;
  // Below these the transforms cost more than the multiplications they save (measured with
  // build/ledge_kernel_bench; see docs/benchmarks.md).
  if (s.in_channels < 8 || s.out_channels < 16 || tiles_of(s) < 32) return false;
  return kPoints * s.in_channels * s.out_channels * int64_t{sizeof(float)} <= kMaxWeightBytes;
}

Expected<std::unique_ptr<PreparedKernel>> prepare_winograd_conv(const PrepareContext& c,
                                                                const Window2d& win,
                                                                const ActivationRange& act,
                                                                const Tensor& weights,
                                                                const Tensor* bias) {
  const Shape& x = c.input_shape(0);
  const Shape& y = c.output_shape(0);
  Geometry g;
  g.h = x[1];
  g.w = x[2];
  g.c = x[3];
  g.c_pad = round_up(g.c, kLanes);
  g.oh = y[1];
  g.ow = y[2];
  g.o = y[3];
  g.y_stride = g.o;
  g.o_pad = round_up(g.o, kLanes);
  g.tiles_h = (g.oh + kTile - 1) / kTile;
  g.tiles_w = (g.ow + kTile - 1) / kTile;
  g.tiles = x[0] * g.tiles_h * g.tiles_w;
  g.pad_top = win.pad_top;
  g.pad_left = win.pad_left;
  const int64_t per_tile = kPoints * (g.c_pad + g.o_pad) * int64_t{sizeof(float)};
  g.block = std::clamp<int64_t>(kWorkspaceBudget / per_tile, 1, g.tiles);
  std::vector<float> b(static_cast<size_t>(g.o_pad), 0.f);
  if (bias) std::copy_n(bias->data<float>(), g.o, b.begin());
  auto kernel = std::make_unique<WinogradConv>(g, std::move(b), act, c.pool().handle());
  kernel->set_workers(c.pool().threads());
  LEDGE_TRY(kernel->pack_weights(weights.data<float>()));
  return std::unique_ptr<PreparedKernel>(std::move(kernel));
}

}  // namespace ledge
