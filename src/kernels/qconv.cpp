// Fast kernels for the integer convolution ledge.NhwcQLinearConv and the integer product
// ledge.QFullyConnected, bit-exact with their reference kernels (src/ops):
//   - ungrouped convolutions with uint8 activations and symmetric int8 weights (zero point
//     0, per tensor or per output channel) on ledge's integer GEMM (qgemm.h): 1x1 stride-1
//     layers directly ([N·H·W, C] is the matrix), the rest through im2col blocks in the
//     plan's workspace, padded with the input's zero point (which adds nothing);
//   - depthwise convolutions (one input channel per output channel) with uint8 or int8
//     activations: on AVX512-VNNI four taps of 64 channels per vpdpbusd (weights whose zero
//     point leaves them in int8); otherwise int32 accumulators, 16 channels per AVX-512
//     vector or a loop over channels the compiler vectorizes;
//   - QFullyConnected with uint8 activations on qgemm, with uint8 output or float output
//     (no y_scale and y_zero_point: a classifier's float logits) on its float form.
// Anything else (int8 activations into a GEMM, other groupings, weight zero points)
// runs on the reference kernel.
#include <pthreadpool.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/fast_kernel.h"
#include "kernels/im2col.h"
#include "kernels/qgemm.h"
#include "kernels/simd.h"
#include "ops/lowered_common.h"
#include "ops/quant_common.h"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics pass an "undefined" vector as the unused merge operand, which
// -Wmaybe-uninitialized reports.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace ledge {
namespace {

using namespace quant;

constexpr int64_t kBlockBytes = int64_t{1} << 20;  // im2col rows per block: at most this

// The constant parameters of a QLinearConv-shaped node (inputs in QLinearConv's order),
// expanded to `channels`; null when some are not constants or not plain enough. Absent
// y_scale and y_zero_point count as 1 and 0, as in the reference (quant::qlinear_params):
// the float-output QFullyConnected has neither.
struct Params {
  DType x_type = DType::kUndefined, y_type = DType::kUndefined;
  int32_t x_zero = 0, y_zero = 0;
  std::vector<int32_t> w_zero, bias;
  std::vector<float> multiplier;
};

std::optional<Params> read_params(const PrepareContext& c, int64_t channels) {
  for (size_t i : {kQXScale, kQXZero, kQW, kQWScale, kQWZero})
    if (!c.has_input(i) || !c.constant(i)) return std::nullopt;
  for (size_t i : {kQYScale, kQYZero, kQBias})
    if (c.has_input(i) && !c.constant(i)) return std::nullopt;
  const Tensor& xs = *c.constant(kQXScale);
  const Tensor& ws = *c.constant(kQWScale);
  const Tensor& wz = *c.constant(kQWZero);
  const Tensor* ys = c.has_input(kQYScale) ? c.constant(kQYScale) : nullptr;
  const Tensor* yz = c.has_input(kQYZero) ? c.constant(kQYZero) : nullptr;
  if (xs.numel() != 1 || (ys && ys->numel() != 1) || c.constant(kQXZero)->numel() != 1 ||
      (yz && yz->numel() != 1) || (ws.numel() != 1 && ws.numel() != channels) ||
      (wz.numel() != 1 && wz.numel() != channels))
    return std::nullopt;
  Params p;
  p.x_type = c.input_type(kQX).dtype;
  p.y_type = c.output_dtype(0);
  p.x_zero = static_cast<int32_t>(c.constant(kQXZero)->as_int64(0));
  p.y_zero = yz ? static_cast<int32_t>(yz->as_int64(0)) : 0;
  const float y_scale = ys ? ys->data<float>()[0] : 1.f;
  const auto s = static_cast<size_t>(channels);
  p.multiplier.resize(s);
  p.w_zero.resize(s);
  for (size_t o = 0; o < s; ++o) {
    const int64_t i = ws.numel() == 1 ? 0 : static_cast<int64_t>(o);
    p.multiplier[o] = requant_multiplier(xs.data<float>()[0], ws.data<float>()[i], y_scale);
    // Infinite or NaN multipliers: the reference defines the result.
    if (!std::isfinite(p.multiplier[o])) return std::nullopt;
    p.w_zero[o] = static_cast<int32_t>(wz.as_int64(wz.numel() == 1 ? 0 : i));
  }
  if (c.has_input(kQBias)) {
    const Tensor& b = *c.constant(kQBias);
    if (b.numel() != channels) return std::nullopt;
    p.bias.assign(b.data<int32_t>(), b.data<int32_t>() + channels);
  }
  return p;
}

bool all_zero(const std::vector<int32_t>& v) {
  return std::all_of(v.begin(), v.end(), [](int32_t z) { return z == 0; });
}

// ---------------------------------------------------------------------------------------------
// Ungrouped convolution on qgemm

bool is_pointwise(const Window2d& win) {
  return win.kh == 1 && win.kw == 1 && win.sh == 1 && win.sw == 1 && win.pad_top == 0 &&
         win.pad_left == 0 && win.pad_bottom == 0 && win.pad_right == 0;
}

class QGemmConv : public PreparedKernel {
 public:
  QGemmConv(const Shape& x, const Shape& y, const Window2d& win, Params p, QGemmWeights w,
            pthreadpool* pool)
      : rows_(x[0] * y[1] * y[2]),
        k_(win.kh * win.kw * x[3]),
        direct_(is_pointwise(win)),
        ldc_(static_cast<size_t>(y[3])),
        p_(std::move(p)),
        weights_(std::move(w)),
        pool_(pool) {
    im2col_ = Im2col<uint8_t>::of(x, y, win, static_cast<uint8_t>(p_.x_zero));
    block_ = direct_ ? rows_ : std::clamp<int64_t>(kBlockBytes / k_ / 8 * 8, 8, rows_);
    r_.bias = p_.bias.empty() ? nullptr : p_.bias.data();
    r_.multiplier = p_.multiplier.data();
    r_.a_zero_point = p_.x_zero;
    r_.y_zero_point = p_.y_zero;
    r_.multipliers_finite = true;  // read_params refuses others
  }

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    const uint8_t* x = inputs[0]->data<uint8_t>();
    uint8_t* y = outputs[0]->data<uint8_t>();
    const auto k = static_cast<size_t>(k_);
    if (direct_) {
      qgemm_parallel(pool_, static_cast<size_t>(rows_), x, k, weights_, r_, y, ldc_);
      return Status();
    }
    if (!workspace_) return internal_error("convolution run without its workspace");
    im2col_.x = x;
    for (first_ = 0; first_ < rows_; first_ += block_) {
      const int64_t rows = std::min(block_, rows_ - first_);
      pthreadpool_parallelize_1d_tile_1d(pool_, im2col_rows, this, static_cast<size_t>(rows),
                                         kIm2colTile, 0);
      qgemm_parallel(pool_, static_cast<size_t>(rows), workspace_, k, weights_, r_,
                     y + static_cast<size_t>(first_) * ldc_, ldc_);
    }
    return Status();
  }

  bool packed_constants() const override { return true; }
  size_t workspace_bytes() const override { return direct_ ? 0 : static_cast<size_t>(block_ * k_); }
  void set_workspace(uint8_t* base) override { workspace_ = base; }
  bool accepts_output_row_stride() const override { return true; }
  void set_output_row_stride(size_t stride) override { ldc_ = stride; }

 private:
  static void im2col_rows(void* self, size_t start, size_t count) {
    auto* k = static_cast<QGemmConv*>(self);
    k->im2col_.rows(k->first_, start, count, k->workspace_);
  }

  int64_t rows_, k_;
  bool direct_;
  int64_t block_ = 0;
  size_t ldc_;  // bytes from one output pixel to the next
  Params p_;
  QGemmWeights weights_;
  QGemmRequant r_;
  pthreadpool* pool_;
  uint8_t* workspace_ = nullptr;  // block_ x k_ im2col rows (shared with other kernels)
  Im2col<uint8_t> im2col_;        // its input is the run in progress, read by the tasks
  int64_t first_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Depthwise convolution

constexpr int64_t kMaxDepthwiseChannels = 4096;  // accumulators live on the stack
constexpr int64_t kMaxDepthwiseTaps = 64;        // VNNI rows: tap pointers on the stack

// One output row: acc[c] = bias[c] + sum over the taps inside the image of
// (x - x_zero) * (w - w_zero), wrapping modulo 2^32 like the reference, then requantized.
template <class Q>
inline __attribute__((always_inline)) void depthwise_row_impl(
    const Q* x, int64_t h, int64_t w, int64_t channels, const int16_t* weights, const int32_t* bias,
    const float* multiplier, const Window2d& win, int64_t oy, int64_t out_w, int32_t x_zero,
    int32_t y_zero, Q* y) {
  const auto C = static_cast<size_t>(channels);
  const float lo = static_cast<float>(std::numeric_limits<Q>::min() - y_zero);
  const float hi = static_cast<float>(std::numeric_limits<Q>::max() - y_zero);
  uint32_t acc[kMaxDepthwiseChannels];
  for (int64_t ox = 0; ox < out_w; ++ox) {
    for (size_t c = 0; c < C; ++c) acc[c] = bias ? static_cast<uint32_t>(bias[c]) : 0u;
    for (int64_t ky = 0; ky < win.kh; ++ky) {
      const int64_t iy = oy * win.sh - win.pad_top + ky * win.dh;
      if (iy < 0 || iy >= h) continue;
      for (int64_t kx = 0; kx < win.kw; ++kx) {
        const int64_t ix = ox * win.sw - win.pad_left + kx * win.dw;
        if (ix < 0 || ix >= w) continue;
        const Q* xs = x + (iy * w + ix) * channels;
        const int16_t* ws = weights + (ky * win.kw + kx) * channels;
        for (size_t c = 0; c < C; ++c)
          acc[c] += static_cast<uint32_t>((static_cast<int32_t>(xs[c]) - x_zero) *
                                          static_cast<int32_t>(ws[c]));
      }
    }
    Q* out = y + ox * channels;
    for (size_t c = 0; c < C; ++c) {
      // nearbyint rounds half to even in the default rounding mode, which ledge never changes.
      float v = std::nearbyint(static_cast<float>(static_cast<int32_t>(acc[c])) * multiplier[c]);
      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
      out[c] = static_cast<Q>(static_cast<int32_t>(v) + y_zero);
    }
  }
}

// One vector build per instruction set (clang's target_clones takes no templates).
#define LEDGE_DEPTHWISE_ROW(Q)                                                                   \
  LEDGE_SIMD_CLONES void depthwise_row(const Q* x, int64_t h, int64_t w, int64_t channels,       \
                                       const int16_t* weights, const int32_t* bias,              \
                                       const float* multiplier, const Window2d& win, int64_t oy, \
                                       int64_t out_w, int32_t x_zero, int32_t y_zero, Q* y) {    \
    depthwise_row_impl<Q>(x, h, w, channels, weights, bias, multiplier, win, oy, out_w, x_zero,  \
                          y_zero, y);                                                            \
  }
LEDGE_DEPTHWISE_ROW(uint8_t)
LEDGE_DEPTHWISE_ROW(int8_t)
#undef LEDGE_DEPTHWISE_ROW

#if defined(__x86_64__)
// The same row with the accumulators of 16 channels in one register across all taps
// (the loop above keeps them in memory). Weights as int32 [KH·KW][C].
template <class Q>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void depthwise_row_avx512(
    const Q* x, int64_t h, int64_t w, int64_t channels, const int32_t* weights, const int32_t* bias,
    const float* multiplier, const Window2d& win, int64_t oy, int64_t out_w, int32_t x_zero,
    int32_t y_zero, Q* y) {
  const __m512i zx = _mm512_set1_epi32(x_zero);
  const __m512i zy = _mm512_set1_epi32(y_zero);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(std::numeric_limits<Q>::min() - y_zero));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(std::numeric_limits<Q>::max() - y_zero));
  for (int64_t ox = 0; ox < out_w; ++ox) {
    for (int64_t c0 = 0; c0 < channels; c0 += 16) {
      const int64_t left = channels - c0;
      const __mmask16 m = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
      __m512i acc = bias ? _mm512_maskz_loadu_epi32(m, bias + c0) : _mm512_setzero_si512();
      for (int64_t ky = 0; ky < win.kh; ++ky) {
        const int64_t iy = oy * win.sh - win.pad_top + ky * win.dh;
        if (iy < 0 || iy >= h) continue;
        for (int64_t kx = 0; kx < win.kw; ++kx) {
          const int64_t ix = ox * win.sw - win.pad_left + kx * win.dw;
          if (ix < 0 || ix >= w) continue;
          const __m128i bytes = _mm_maskz_loadu_epi8(m, x + (iy * w + ix) * channels + c0);
          __m512i xv = std::is_same_v<Q, uint8_t> ? _mm512_cvtepu8_epi32(bytes)
                                                  : _mm512_cvtepi8_epi32(bytes);
          xv = _mm512_sub_epi32(xv, zx);
          const __m512i wv =
              _mm512_maskz_loadu_epi32(m, weights + (ky * win.kw + kx) * channels + c0);
          acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(xv, wv));
        }
      }
      __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_maskz_loadu_ps(m, multiplier + c0));
      v = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
      const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), zy);
      _mm_mask_storeu_epi8(y + ox * channels + c0, m, _mm512_cvtepi32_epi8(q));
    }
  }
}
#endif

// The depthwise row on AVX512-VNNI: vpdpbusd sums four uint8 x int8 products per int32
// lane, so each instruction covers four taps of 16 channels. The taps run in groups of
// four (the last padded with zero weights). For 64 channels, byte and word unpacks of the
// four taps' 64-byte loads give four vectors whose lane j, dword i holds channel
// 16j + 4k + i (vector k) with its four taps' bytes; the weights, initial accumulators and
// multipliers are packed in that order, and a 4x4 dword transpose puts the output bytes
// back in channel order. Taps outside the image read the input's zero point; the zero point
// is folded like a GEMM's: acc = bias - x_zero * sum_t w + sum_t x * w (wrapping, as the
// reference). int8 inputs become uint8 by flipping the sign bit (zero point + 128).
struct DepthwiseVnniPlan {
  int64_t groups = 0, blocks = 0;  // four-tap groups, 64-channel blocks
  std::vector<int8_t> weights;     // [block][group][k][64 bytes: lane j, dword i, tap t]
  std::vector<int32_t> acc0;       // [block][k][16]: bias - x_zero * sum of the weights
  std::vector<float> multiplier;   // [block][k][16]
  std::vector<uint8_t> fill;       // blocks * 64 bytes of the input's zero point (raw byte)
};

#if defined(__x86_64__)
// The last block of a row when it has at most 32 channels: the same lanes 0 and 1 on 256-bit
// vectors (the packed layout's first 32 bytes of each vector), half the work of the 512-bit
// block (mobilenets' 32-channel and tail-of-96 layers).
template <class Q>
inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512vnni"))) void
depthwise_tail32_vnni(const uint8_t* const* tap, int64_t c0, int64_t left,
                      const DepthwiseVnniPlan& plan, int64_t b, int32_t y_zero, uint8_t* y) {
  const __m256i zy = _mm256_set1_epi32(y_zero);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(std::numeric_limits<Q>::min() - y_zero));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(std::numeric_limits<Q>::max() - y_zero));
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const __mmask32 m = left >= 32 ? ~__mmask32(0) : (__mmask32(1) << left) - 1;
  const int32_t* a0 = plan.acc0.data() + b * 64;
  __m256i acc[4];
  for (int k = 0; k < 4; ++k)
    acc[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a0 + k * 16));
  const int8_t* wb = plan.weights.data() + b * plan.groups * 256;
  for (int64_t g = 0; g < plan.groups; ++g) {
    const uint8_t* const* p = tap + g * 4;
    __m256i t0 = _mm256_maskz_loadu_epi8(m, p[0] + c0);
    __m256i t1 = _mm256_maskz_loadu_epi8(m, p[1] + c0);
    __m256i t2 = _mm256_maskz_loadu_epi8(m, p[2] + c0);
    __m256i t3 = _mm256_maskz_loadu_epi8(m, p[3] + c0);
    if constexpr (std::is_same_v<Q, int8_t>) {
      t0 = _mm256_xor_si256(t0, flip);
      t1 = _mm256_xor_si256(t1, flip);
      t2 = _mm256_xor_si256(t2, flip);
      t3 = _mm256_xor_si256(t3, flip);
    }
    const __m256i lo01 = _mm256_unpacklo_epi8(t0, t1), hi01 = _mm256_unpackhi_epi8(t0, t1);
    const __m256i lo23 = _mm256_unpacklo_epi8(t2, t3), hi23 = _mm256_unpackhi_epi8(t2, t3);
    const auto* wg = reinterpret_cast<const __m256i*>(wb + g * 256);  // vector k at wg + 2k
    acc[0] = _mm256_dpbusd_epi32(acc[0], _mm256_unpacklo_epi16(lo01, lo23), _mm256_loadu_si256(wg));
    acc[1] =
        _mm256_dpbusd_epi32(acc[1], _mm256_unpackhi_epi16(lo01, lo23), _mm256_loadu_si256(wg + 2));
    acc[2] =
        _mm256_dpbusd_epi32(acc[2], _mm256_unpacklo_epi16(hi01, hi23), _mm256_loadu_si256(wg + 4));
    acc[3] =
        _mm256_dpbusd_epi32(acc[3], _mm256_unpackhi_epi16(hi01, hi23), _mm256_loadu_si256(wg + 6));
  }
  const float* mb = plan.multiplier.data() + b * 64;
  __m128i q[4];
  for (int k = 0; k < 4; ++k) {
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[k]), _mm256_loadu_ps(mb + k * 16));
    v = _mm256_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    q[k] = _mm256_cvtepi32_epi8(_mm256_add_epi32(_mm256_cvtps_epi32(v), zy));
  }
  // q[k] dword j (j < 2) holds channels 16j + 4k .. 16j + 4k + 3.
  const __m128i l01 = _mm_unpacklo_epi32(q[0], q[1]), l23 = _mm_unpacklo_epi32(q[2], q[3]);
  const __m128i first = _mm_unpacklo_epi64(l01, l23), second = _mm_unpackhi_epi64(l01, l23);
  _mm256_mask_storeu_epi8(y, m, _mm256_inserti128_si256(_mm256_castsi128_si256(first), second, 1));
}

template <class Q>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void depthwise_row_vnni(
    const Q* xq, int64_t h, int64_t w, int64_t channels, const DepthwiseVnniPlan& plan,
    const Window2d& win, int64_t oy, int64_t out_w, int32_t y_zero, Q* yq) {
  const auto* x = reinterpret_cast<const uint8_t*>(xq);
  auto* y = reinterpret_cast<uint8_t*>(yq);
  const __m512i zy = _mm512_set1_epi32(y_zero);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(std::numeric_limits<Q>::min() - y_zero));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(std::numeric_limits<Q>::max() - y_zero));
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const int64_t taps = plan.groups * 4;
  const uint8_t* tap[kMaxDepthwiseTaps];
  // The window's rows inside the image (null outside), then per pixel its taps.
  const uint8_t* row[kMaxDepthwiseTaps];
  for (int64_t ky = 0; ky < win.kh; ++ky) {
    const int64_t iy = oy * win.sh - win.pad_top + ky * win.dh;
    row[ky] = iy < 0 || iy >= h ? nullptr : x + iy * w * channels;
  }
  for (int64_t t = win.kh * win.kw; t < taps; ++t) tap[t] = plan.fill.data();
  for (int64_t ox = 0; ox < out_w; ++ox) {
    const int64_t ix0 = ox * win.sw - win.pad_left;
    const bool inside = ix0 >= 0 && ix0 + (win.kw - 1) * win.dw < w;
    int64_t t = 0;
    for (int64_t ky = 0; ky < win.kh; ++ky) {
      const uint8_t* r = row[ky];
      if (r && inside) {
        for (int64_t kx = 0; kx < win.kw; ++kx, ++t) tap[t] = r + (ix0 + kx * win.dw) * channels;
        continue;
      }
      for (int64_t kx = 0; kx < win.kw; ++kx, ++t) {
        const int64_t ix = ix0 + kx * win.dw;
        tap[t] = !r || ix < 0 || ix >= w ? plan.fill.data() : r + ix * channels;
      }
    }
    for (int64_t b = 0; b < plan.blocks; ++b) {
      const int64_t c0 = b * 64, left = channels - c0;
      if (left <= 32) {
        depthwise_tail32_vnni<Q>(tap, c0, left, plan, b, y_zero, y + ox * channels + c0);
        continue;
      }
      const __mmask64 m = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
      const int32_t* a0 = plan.acc0.data() + b * 64;
      __m512i acc[4];
      for (int k = 0; k < 4; ++k) acc[k] = _mm512_loadu_si512(a0 + k * 16);
      const int8_t* wb = plan.weights.data() + b * plan.groups * 256;
      for (int64_t g = 0; g < plan.groups; ++g) {
        const uint8_t* const* p = tap + g * 4;
        __m512i t0 = _mm512_maskz_loadu_epi8(m, p[0] + c0);
        __m512i t1 = _mm512_maskz_loadu_epi8(m, p[1] + c0);
        __m512i t2 = _mm512_maskz_loadu_epi8(m, p[2] + c0);
        __m512i t3 = _mm512_maskz_loadu_epi8(m, p[3] + c0);
        if constexpr (std::is_same_v<Q, int8_t>) {  // int8 to uint8: zero point + 128
          t0 = _mm512_xor_si512(t0, flip);
          t1 = _mm512_xor_si512(t1, flip);
          t2 = _mm512_xor_si512(t2, flip);
          t3 = _mm512_xor_si512(t3, flip);
        }
        const __m512i lo01 = _mm512_unpacklo_epi8(t0, t1), hi01 = _mm512_unpackhi_epi8(t0, t1);
        const __m512i lo23 = _mm512_unpacklo_epi8(t2, t3), hi23 = _mm512_unpackhi_epi8(t2, t3);
        const int8_t* wg = wb + g * 256;
        acc[0] =
            _mm512_dpbusd_epi32(acc[0], _mm512_unpacklo_epi16(lo01, lo23), _mm512_loadu_si512(wg));
        acc[1] = _mm512_dpbusd_epi32(acc[1], _mm512_unpackhi_epi16(lo01, lo23),
                                     _mm512_loadu_si512(wg + 64));
        acc[2] = _mm512_dpbusd_epi32(acc[2], _mm512_unpacklo_epi16(hi01, hi23),
                                     _mm512_loadu_si512(wg + 128));
        acc[3] = _mm512_dpbusd_epi32(acc[3], _mm512_unpackhi_epi16(hi01, hi23),
                                     _mm512_loadu_si512(wg + 192));
      }
      const float* mb = plan.multiplier.data() + b * 64;
      __m128i q[4];
      for (int k = 0; k < 4; ++k) {
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[k]), _mm512_loadu_ps(mb + k * 16));
        v = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
        q[k] = _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), zy));
      }
      // q[k] dword j holds channels 16j + 4k .. 16j + 4k + 3: transpose the 4x4 dwords.
      const __m128i l01 = _mm_unpacklo_epi32(q[0], q[1]), l23 = _mm_unpacklo_epi32(q[2], q[3]);
      const __m128i h01 = _mm_unpackhi_epi32(q[0], q[1]), h23 = _mm_unpackhi_epi32(q[2], q[3]);
      __m512i out = _mm512_castsi128_si512(_mm_unpacklo_epi64(l01, l23));
      out = _mm512_inserti32x4(out, _mm_unpackhi_epi64(l01, l23), 1);
      out = _mm512_inserti32x4(out, _mm_unpacklo_epi64(h01, h23), 2);
      out = _mm512_inserti32x4(out, _mm_unpackhi_epi64(h01, h23), 3);
      _mm512_mask_storeu_epi8(y + ox * channels + c0, m, out);
    }
  }
}
#endif

// The plan for weights [C][taps] (zero points subtracted), or nullopt when some weight
// does not fit int8 (weight zero points far from 0).
[[maybe_unused]] std::optional<DepthwiseVnniPlan> plan_depthwise_vnni(
    const std::vector<int16_t>& packed, int64_t channels, int64_t taps, const Params& p) {
  if (taps > kMaxDepthwiseTaps) return std::nullopt;
  for (int16_t v : packed)
    if (v < -128 || v > 127) return std::nullopt;
  DepthwiseVnniPlan plan;
  const int64_t x_zero = p.x_type == DType::kInt8 ? p.x_zero + 128 : p.x_zero;
  plan.groups = (taps + 3) / 4;
  plan.blocks = (channels + 63) / 64;
  plan.weights.assign(static_cast<size_t>(plan.blocks * plan.groups * 256), 0);
  plan.acc0.assign(static_cast<size_t>(plan.blocks * 64), 0);
  plan.multiplier.assign(static_cast<size_t>(plan.blocks * 64), 0.f);
  plan.fill.assign(static_cast<size_t>(plan.blocks * 64), static_cast<uint8_t>(p.x_zero));
  for (int64_t c = 0; c < channels; ++c) {
    // Channel c = 64b + 16j + 4k + i sits at [b][k][j*4 + i].
    const int64_t b = c / 64, j = c % 64 / 16, k = c % 16 / 4, i = c % 4;
    const int64_t slot = b * 64 + k * 16 + j * 4 + i;
    uint32_t sum = 0;
    for (int64_t t = 0; t < taps; ++t) {
      const int16_t v = packed[static_cast<size_t>(t * channels + c)];
      sum += static_cast<uint32_t>(v);
      const int64_t g = t / 4;
      plan.weights[static_cast<size_t>(((b * plan.groups + g) * 4 + k) * 64 + j * 16 + i * 4 +
                                       t % 4)] = static_cast<int8_t>(v);
    }
    const uint32_t bias =
        p.bias.empty() ? 0u : static_cast<uint32_t>(p.bias[static_cast<size_t>(c)]);
    plan.acc0[static_cast<size_t>(slot)] =
        static_cast<int32_t>(bias - static_cast<uint32_t>(x_zero) * sum);
    plan.multiplier[static_cast<size_t>(slot)] = p.multiplier[static_cast<size_t>(c)];
  }
  return plan;
}

class DepthwiseQConv : public PreparedKernel {
 public:
  DepthwiseQConv(const Shape& x, const Shape& y, const Window2d& win, Params p,
                 std::vector<int16_t> w, const ThreadPool& pool)
      : n_(x[0]),
        h_(x[1]),
        w_(x[2]),
        c_(x[3]),
        oh_(y[1]),
        ow_(y[2]),
        win_(win),
        p_(std::move(p)),
        weights_(std::move(w)),
        pool_(pool) {
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
    use_avx512_ = cpu_features().avx512bw_vl;
    if (cpu_features().avx512_vnni && use_avx512_)
      vnni_ = plan_depthwise_vnni(weights_, c_, win_.kh * win_.kw, p_);
    if (use_avx512_ && !vnni_) weights32_.assign(weights_.begin(), weights_.end());
#endif
  }

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    if (p_.x_type == DType::kUInt8)
      rows(inputs[0]->data<uint8_t>(), outputs[0]->data<uint8_t>());
    else
      rows(inputs[0]->data<int8_t>(), outputs[0]->data<int8_t>());
    return Status();
  }
  bool packed_constants() const override { return true; }

 private:
  template <class Q>
  void rows(const Q* x, Q* y) {
    const int32_t* bias = p_.bias.empty() ? nullptr : p_.bias.data();
    pool_.parallel_for(static_cast<size_t>(n_ * oh_), [&](size_t r) {
      const int64_t n = static_cast<int64_t>(r) / oh_, oy = static_cast<int64_t>(r) % oh_;
      const Q* xn = x + n * h_ * w_ * c_;
      Q* yr = y + static_cast<int64_t>(r) * ow_ * c_;
#if defined(__x86_64__)
      if (vnni_) {
        depthwise_row_vnni<Q>(xn, h_, w_, c_, *vnni_, win_, oy, ow_, p_.y_zero, yr);
        return;
      }
      if (use_avx512_) {
        depthwise_row_avx512<Q>(xn, h_, w_, c_, weights32_.data(), bias, p_.multiplier.data(), win_,
                                oy, ow_, p_.x_zero, p_.y_zero, yr);
        return;
      }
#endif
      depthwise_row(xn, h_, w_, c_, weights_.data(), bias, p_.multiplier.data(), win_, oy, ow_,
                    p_.x_zero, p_.y_zero, yr);
    });
  }

  int64_t n_, h_, w_, c_, oh_, ow_;
  Window2d win_;
  Params p_;
  std::vector<int16_t> weights_;    // [KH·KW][C], zero point subtracted
  std::vector<int32_t> weights32_;  // the same as int32, for the AVX-512 row
  bool use_avx512_ = false;
  std::optional<DepthwiseVnniPlan> vnni_;  // AVX512-VNNI rows, when the CPU has them
  const ThreadPool& pool_;
};

Expected<std::unique_ptr<PreparedKernel>> none() { return std::unique_ptr<PreparedKernel>(); }

// W for qgemm: an artifact's pre-packed block, used in place (the kernel's copy of the
// tensor keeps the file mapping alive), or W packed now.
Expected<QGemmWeights> qgemm_weights(const PrepareContext& c, const Tensor& w, int64_t n,
                                     int64_t k) {
  if (!c.has_attr(kPackedWeightShapeAttr))
    return qgemm_pack(w.data<int8_t>(), static_cast<size_t>(n), static_cast<size_t>(k));
  return qgemm_borrow(w.data<int8_t>(), static_cast<size_t>(n), static_cast<size_t>(k),
                      std::make_shared<const Tensor>(w));
}

Expected<std::unique_ptr<PreparedKernel>> prepare_conv(PrepareContext& c) {
  const Tensor* w = c.constant(kQW);
  if (!w || w->dtype() != DType::kInt8) return none();
  LEDGE_ASSIGN(const Shape ws, qlinear_weight_shape(c, c.input_type(kQW), 4));
  const bool prepacked = c.has_attr(kPackedWeightShapeAttr);
  const Shape& x = c.input_shape(kQX);
  const Shape& y = c.output_shape(0);
  const int64_t O = ws[0], C = x[3], group = c.attr_int("group", 1);
  auto p = read_params(c, O);
  if (!p || p->x_type != p->y_type) return none();
  LEDGE_ASSIGN(Window2d win, read_window2d(c, ws[1], ws[2]));
  if (!prepacked && group == C && O == C && ws[3] == 1 && C <= kMaxDepthwiseChannels) {
    // OHWI [C, KH, KW, 1] → [KH·KW][C] as int16, minus the weights' zero points.
    const int64_t taps = win.kh * win.kw;
    std::vector<int16_t> packed(static_cast<size_t>(taps * C));
    for (int64_t ch = 0; ch < C; ++ch)
      for (int64_t t = 0; t < taps; ++t)
        packed[static_cast<size_t>(t * C + ch)] = static_cast<int16_t>(
            w->data<int8_t>()[ch * taps + t] - p->w_zero[static_cast<size_t>(ch)]);
    return std::unique_ptr<PreparedKernel>(
        new DepthwiseQConv(x, y, win, std::move(*p), std::move(packed), c.pool()));
  }
  if (group != 1 || p->x_type != DType::kUInt8 || !all_zero(p->w_zero)) return none();
  LEDGE_ASSIGN(QGemmWeights packed, qgemm_weights(c, *w, O, win.kh * win.kw * C));
  return std::unique_ptr<PreparedKernel>(
      new QGemmConv(x, y, win, std::move(*p), std::move(packed), c.pool().handle()));
}

// ---------------------------------------------------------------------------------------------
// QFullyConnected

class QGemmFullyConnected : public PreparedKernel {
 public:
  QGemmFullyConnected(int64_t m, Params p, QGemmWeights w, pthreadpool* pool)
      : m_(m), p_(std::move(p)), weights_(std::move(w)), pool_(pool) {
    r_.bias = p_.bias.empty() ? nullptr : p_.bias.data();
    r_.multiplier = p_.multiplier.data();
    r_.a_zero_point = p_.x_zero;
    r_.y_zero_point = p_.y_zero;
    r_.multipliers_finite = true;  // read_params refuses others
  }
  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    const auto m = static_cast<size_t>(m_);
    const uint8_t* x = inputs[0]->data<uint8_t>();
    if (p_.y_type == DType::kFloat32)
      qgemm_f32_parallel(pool_, m, x, weights_.k, weights_, r_, outputs[0]->data<float>(),
                         weights_.n);
    else
      qgemm_parallel(pool_, m, x, weights_.k, weights_, r_, outputs[0]->data<uint8_t>(),
                     weights_.n);
    return Status();
  }
  bool packed_constants() const override { return true; }

 private:
  int64_t m_;
  Params p_;
  QGemmWeights weights_;
  QGemmRequant r_;
  pthreadpool* pool_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare_fully_connected(PrepareContext& c) {
  const Tensor* w = c.constant(kQW);
  if (!w || w->dtype() != DType::kInt8) return none();
  LEDGE_ASSIGN(const Shape ws, qlinear_weight_shape(c, c.input_type(kQW), 2));
  auto p = read_params(c, ws[0]);
  // uint8 output, or float (the form without y_scale and y_zero_point) on qgemm_f32.
  if (!p || p->x_type != DType::kUInt8 ||
      (p->y_type != DType::kUInt8 && p->y_type != DType::kFloat32) || !all_zero(p->w_zero))
    return none();
  LEDGE_ASSIGN(QGemmWeights packed, qgemm_weights(c, *w, ws[0], ws[1]));
  return std::unique_ptr<PreparedKernel>(new QGemmFullyConnected(
      c.input_shape(kQX)[0], std::move(*p), std::move(packed), c.pool().handle()));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(NhwcQLinearConv, "ledge", "NhwcQLinearConv", ledge::prepare_conv)
LEDGE_DEFINE_FAST_KERNEL(QFullyConnected, "ledge", "QFullyConnected",
                         ledge::prepare_fully_connected)
