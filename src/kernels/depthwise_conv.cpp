#include "kernels/depthwise_conv.h"

#include "kernels/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/memory.h"
#include "kernels/simd.h"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics pass an "undefined" vector as the unused merge operand, which
// -Wmaybe-uninitialized reports.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace ledge {
namespace {

constexpr int64_t kLanes = 16;

bool has_avx512() {
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
  return cpu_features().avx512f;
#else
  return false;
#endif
}

// What one output row needs.
struct DepthwiseGeometry {
  int64_t h = 0, w = 0, c = 0, c_pad = 0;  // input (c_pad: c rounded up to 16)
  int64_t oh = 0, ow = 0;
  Window2d win;
  float lo = 0, hi = 0;     // the activation clamp
  bool hard_swish = false;  // after the clamp
  bool ring = false;        // through padded rows (narrow images), else in place
};

// Output pixels per step: accumulators beside the K·K weight registers (of 32).
template <int K>
constexpr int kPixels = K == 3 ? 8 : 4;

// Images at most this wide go through the ring of padded rows (depthwise_block_ring): the 7
// and 14 columns of MobileNet's later layers. At 28 both ways ran alike.
constexpr int64_t kRingWidth = 16;

// The ring of padded rows lives on the stack: 16 KB, enough for 16 columns and pads of up to
// 16 on either side.
constexpr int64_t kRingFloats = 4096;

// Columns of a padded row: pad_left zeros, the image row, then zeros up to the last column
// the last step of P pixels reads (past the row's end where the width is not a multiple of P).
int64_t ring_columns(const Window2d& win, int64_t w) {
  const int p = win.kw == 3 ? kPixels<3> : kPixels<5>;
  const int64_t steps = (win.out_w(w) + p - 1) / p;
  return std::max(win.pad_left + w, (steps * p - 1) * win.sw + win.kw);
}

#if defined(__x86_64__)
__attribute__((target("avx512f"), always_inline)) inline __m512 activate(const DepthwiseGeometry& g,
                                                                         __m512 v, __m512 lo,
                                                                         __m512 hi) {
  v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  return g.hard_swish ? hard_swish_512(v) : v;
}

// The lanes of the 16-channel block at c0 that hold channels.
inline __mmask16 lane_mask(const DepthwiseGeometry& g, int64_t c0) {
  const int64_t left = g.c - c0;
  return left >= kLanes ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
}

// The block's K·K weight vectors, to be kept in registers.
template <int K>
__attribute__((target("avx512f"), always_inline)) inline void load_weights(
    const DepthwiseGeometry& g, const float* weights, int64_t c0, __m512* wv) {
#pragma GCC unroll 25
  for (int t = 0; t < K * K; ++t) wv[t] = _mm512_load_ps(weights + t * g.c_pad + c0);
}

// One output pixel of one 16-channel block, any column: taps outside the image skipped.
template <int K>
__attribute__((target("avx512f"), always_inline)) inline void depthwise_pixel(
    const DepthwiseGeometry& g, const float* const* rows, const __m512* wv, __m512 b, __m512 lo,
    __m512 hi, __mmask16 m, int64_t ox, float* y) {
  const int64_t ix0 = ox * g.win.sw - g.win.pad_left;
  __m512 acc = b;
  for (int ky = 0; ky < K; ++ky) {
    if (!rows[ky]) continue;
    for (int kx = 0; kx < K; ++kx) {
      const int64_t ix = ix0 + kx;
      if (ix < 0 || ix >= g.w) continue;
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, rows[ky] + ix * g.c), wv[ky * K + kx], acc);
    }
  }
  _mm512_mask_storeu_ps(y + ox * g.c, m, activate(g, acc, lo, hi));
}

// Output rows [oy0, oy1) of one image and one 16-channel block c0, reading the input in
// place: weights [K·K][c_pad], bias [c_pad] (zero padded). The block's K·K weights stay in
// registers down the rows [oy0, oy1). Pixels whose window lies inside the image's columns go P at a
// time, as P independent multiply-add chains; the few at the row's ends (on wide images) one at a
// time.
template <int K>
__attribute__((target("avx512f"))) void depthwise_block_in_place(
    const DepthwiseGeometry& g, const float* x, const float* weights, const float* bias, int64_t c0,
    int64_t oy0, int64_t oy1, float* y) {
  constexpr int P = kPixels<K>;
  const Window2d& win = g.win;
  const int64_t sw = win.sw;
  // Output columns whose window lies inside the image: [first, last).
  const int64_t first = std::min(g.ow, (win.pad_left + sw - 1) / sw);
  const int64_t last =
      g.w + win.pad_left >= K ? std::clamp((g.w + win.pad_left - K) / sw + 1, first, g.ow) : first;
  const __mmask16 m = lane_mask(g, c0);
  __m512 wv[K * K];
  load_weights<K>(g, weights, c0, wv);
  const __m512 b = _mm512_load_ps(bias + c0);
  const __m512 lo = _mm512_set1_ps(g.lo), hi = _mm512_set1_ps(g.hi);
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    const float* rows[K];  // the window's input rows at channel c0, null in the padding
    for (int ky = 0; ky < K; ++ky) {
      const int64_t iy = oy * win.sh - win.pad_top + ky;
      rows[ky] = iy < 0 || iy >= g.h ? nullptr : x + iy * g.w * g.c + c0;
    }
    float* yr = y + oy * g.ow * g.c + c0;
    int64_t ox = 0;
    for (; ox < first; ++ox) depthwise_pixel<K>(g, rows, wv, b, lo, hi, m, ox, yr);
    for (; ox + P <= last; ox += P) {
      __m512 acc[P];
#pragma GCC unroll 8
      for (int j = 0; j < P; ++j) acc[j] = b;
      const int64_t ix0 = ox * sw - win.pad_left;
#pragma GCC unroll 5
      for (int ky = 0; ky < K; ++ky) {
        if (!rows[ky]) continue;
        const float* p = rows[ky] + ix0 * g.c;
#pragma GCC unroll 5
        for (int kx = 0; kx < K; ++kx) {
#pragma GCC unroll 8
          for (int j = 0; j < P; ++j)
            acc[j] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p + (j * sw + kx) * g.c),
                                     wv[ky * K + kx], acc[j]);
        }
      }
#pragma GCC unroll 8
      for (int j = 0; j < P; ++j)
        _mm512_mask_storeu_ps(yr + (ox + j) * g.c, m, activate(g, acc[j], lo, hi));
    }
    for (; ox < g.ow; ++ox) depthwise_pixel<K>(g, rows, wv, b, lo, hi, m, ox, yr);
  }
}

// The same through a ring of padded rows, for narrow images: there most pixels' windows cross
// the padding (on 7x7 at 5x5, all of them), and one at a time, K·K dependent multiply-adds
// each, they ran at a quarter of the speed. The input rows the windows read are first copied,
// once each, to a ring of K padded rows on the stack: the block's 16 channels of the row
// between zero columns. Every output pixel then reads its K·K taps the same way, P at a time.
// On wide images the copies cost more than the few edge pixels (mobilenet's 56x56 stride-2
// layer: 0.028 → 0.050 ms). Rows in the top or bottom padding are skipped.
template <int K>
__attribute__((target("avx512f"))) void depthwise_block_ring(const DepthwiseGeometry& g,
                                                             const float* x, const float* weights,
                                                             const float* bias, int64_t c0,
                                                             int64_t oy0, int64_t oy1, float* y) {
  constexpr int P = kPixels<K>;
  const Window2d& win = g.win;
  const int64_t sw = win.sw, cols = ring_columns(win, g.w);
  alignas(64) float ring[kRingFloats];  // row iy in slot iy % K
  std::memset(ring, 0, static_cast<size_t>(K * cols * kLanes) * sizeof(float));
  int64_t held[K];  // the input row in each slot, -1: none yet
  std::fill(held, held + K, int64_t{-1});
  const __mmask16 m = lane_mask(g, c0);
  __m512 wv[K * K];
  load_weights<K>(g, weights, c0, wv);
  const __m512 b = _mm512_load_ps(bias + c0);
  const __m512 lo = _mm512_set1_ps(g.lo), hi = _mm512_set1_ps(g.hi);
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    const float* src[K];  // the window's padded rows, null in the padding
    for (int ky = 0; ky < K; ++ky) {
      const int64_t iy = oy * win.sh - win.pad_top + ky;
      src[ky] = nullptr;
      if (iy < 0 || iy >= g.h) continue;
      float* r = ring + (iy % K) * cols * kLanes;
      if (held[iy % K] != iy) {
        const float* in = x + iy * g.w * g.c + c0;
        float* out = r + win.pad_left * kLanes;
        for (int64_t ix = 0; ix < g.w; ++ix)
          _mm512_store_ps(out + ix * kLanes, _mm512_maskz_loadu_ps(m, in + ix * g.c));
        held[iy % K] = iy;
      }
      src[ky] = r;
    }
    float* yr = y + oy * g.ow * g.c + c0;
    for (int64_t ox = 0; ox < g.ow; ox += P) {
      __m512 acc[P];
#pragma GCC unroll 8
      for (int j = 0; j < P; ++j) acc[j] = b;
#pragma GCC unroll 5
      for (int ky = 0; ky < K; ++ky) {
        if (!src[ky]) continue;
        const float* p = src[ky] + ox * sw * kLanes;
#pragma GCC unroll 5
        for (int kx = 0; kx < K; ++kx) {
#pragma GCC unroll 8
          for (int j = 0; j < P; ++j)
            acc[j] = _mm512_fmadd_ps(_mm512_load_ps(p + (j * sw + kx) * kLanes), wv[ky * K + kx],
                                     acc[j]);
        }
      }
      const int64_t n = std::min<int64_t>(P, g.ow - ox);
#pragma GCC unroll 8
      for (int j = 0; j < P; ++j)
        if (j < n) _mm512_mask_storeu_ps(yr + (ox + j) * g.c, m, activate(g, acc[j], lo, hi));
    }
  }
}
#endif

class DepthwiseConv : public PreparedKernel {
 public:
  DepthwiseConv(const DepthwiseGeometry& g, int64_t batch, const ThreadPool& pool)
      : g_(g), batch_(batch), pool_(pool) {}

  // OHWI [C, K, K, 1] → [K·K][c_pad]; bias → [c_pad]; both zero padded.
  Status pack(const float* w, const float* bias) {
    const int64_t taps = g_.win.kh * g_.win.kw;
    weights_.reset(static_cast<float*>(allocate_block(static_cast<size_t>((taps + 1) * g_.c_pad) *
                                                      sizeof(float))));  // zero-filled
    if (!weights_) return resource_limit("out of memory for depthwise weights");
    for (int64_t ch = 0; ch < g_.c; ++ch) {
      for (int64_t t = 0; t < taps; ++t) weights_.get()[t * g_.c_pad + ch] = w[ch * taps + t];
      if (bias) weights_.get()[taps * g_.c_pad + ch] = bias[ch];
    }
    return Status();
  }

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
#if defined(__x86_64__)
    const float* x = inputs[0]->data<float>();
    float* y = outputs[0]->data<float>();
    const float* w = weights_.get();
    const float* b = w + g_.win.kh * g_.win.kw * g_.c_pad;
    const int64_t threads = pool_.threads();
    if (!g_.ring) {
      // Wide images: a task is one output row, all blocks, so that each input row is read
      // from memory once (by block, a 112x112x32 image left the cache between the blocks).
      pool_.parallel_for(static_cast<size_t>(batch_ * g_.oh), [&](size_t r) {
        const int64_t n = static_cast<int64_t>(r) / g_.oh, oy = static_cast<int64_t>(r) % g_.oh;
        const float* xn = x + n * g_.h * g_.w * g_.c;
        float* yn = y + n * g_.oh * g_.ow * g_.c;
        for (int64_t c0 = 0; c0 < g_.c; c0 += kLanes) {
          if (g_.win.kh == 3)
            depthwise_block_in_place<3>(g_, xn, w, b, c0, oy, oy + 1, yn);
          else
            depthwise_block_in_place<5>(g_, xn, w, b, c0, oy, oy + 1, yn);
        }
      });
      return Status();
    }
    // Narrow images: a task is one band of rows of one image, block by block, the block's
    // weights in registers down the band. One band per thread, in order: the next layer's
    // matrix product splits its rows alike, so each thread reads what it wrote. (Split by
    // channel blocks, every pixel's cache lines came from both threads: shufflenet's Concat
    // and next convolutions at two threads took 0.05 ms longer.)
    const int64_t bands = std::min<int64_t>(threads, g_.oh);
    pool_.parallel_for(static_cast<size_t>(batch_ * bands), [&](size_t task) {
      const int64_t n = static_cast<int64_t>(task) / bands,
                    band = static_cast<int64_t>(task) % bands;
      const int64_t oy0 = band * g_.oh / bands, oy1 = (band + 1) * g_.oh / bands;
      const float* xn = x + n * g_.h * g_.w * g_.c;
      float* yn = y + n * g_.oh * g_.ow * g_.c;
      for (int64_t c0 = 0; c0 < g_.c; c0 += kLanes) {
        if (g_.win.kh == 3)
          depthwise_block_ring<3>(g_, xn, w, b, c0, oy0, oy1, yn);
        else
          depthwise_block_ring<5>(g_, xn, w, b, c0, oy0, oy1, yn);
      }
    });
    return Status();
#else
    (void)inputs;
    (void)outputs;
    return internal_error("depthwise kernel without AVX-512");
#endif
  }

  bool packed_constants() const override { return true; }

 private:
  DepthwiseGeometry g_;
  int64_t batch_;
  const ThreadPool& pool_;
  BlockPtr<float> weights_;  // [K·K][c_pad], then the bias [c_pad]
};

}  // namespace

bool depthwise_conv_applies(const Window2d& win, int64_t group, int64_t in_channels,
                            int64_t out_channels) {
  static const bool avx512 = has_avx512();
  return avx512 && group == in_channels && out_channels == in_channels && win.kh == win.kw &&
         (win.kh == 3 || win.kh == 5) && win.dh == 1 && win.dw == 1 && win.sh == win.sw &&
         (win.sh == 1 || win.sh == 2);
}

Expected<std::unique_ptr<PreparedKernel>> prepare_depthwise_conv(const PrepareContext& c,
                                                                 const Window2d& win,
                                                                 const ActivationRange& act,
                                                                 const Tensor& weights,
                                                                 const Tensor* bias) {
  const Shape& x = c.input_shape(0);
  const Shape& y = c.output_shape(0);
  DepthwiseGeometry g;
  g.h = x[1];
  g.w = x[2];
  g.c = x[3];
  g.c_pad = (x[3] + kLanes - 1) / kLanes * kLanes;
  g.oh = y[1];
  g.ow = y[2];
  g.win = win;
  g.lo = act.min;
  g.hi = act.max;
  g.hard_swish = act.hard_swish;
  g.ring = g.w <= kRingWidth && win.kw * ring_columns(win, g.w) * kLanes <= kRingFloats;
  auto kernel = std::make_unique<DepthwiseConv>(g, x[0], c.pool());
  LEDGE_TRY(kernel->pack(weights.data<float>(), bias ? bias->data<float>() : nullptr));
  return std::unique_ptr<PreparedKernel>(std::move(kernel));
}

}  // namespace ledge
