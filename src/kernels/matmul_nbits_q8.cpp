#include "kernels/matmul_nbits_q8.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu_features.h"
#include "ops/matmul_nbits_layout.h"

#if defined(__x86_64__)
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#endif

namespace ledge {
namespace {

// One row of A, quantized per block, laid out for the packed codes: byte j of a row's codes
// holds weights 2j (low nibble) and 2j+1 (high nibble), so A's even and odd elements go to
// separate arrays and each nibble plane multiplies one of them without any shuffle.
struct QuantizedRow {
  const int8_t* even;         // [Kp / 2]
  const int8_t* odd;          // [Kp / 2]
  const float* scale;         // [k_blocks]: a_scale
  const float* corr;          // [k_blocks]: a_scale * sum of the block's a_q
  const float* lane_scale;    // [Kp / 8]: a_scale of the block each 8-weight lane belongs to
  const int32_t* lane_block;  // [16]: 8 l / block, the block of lane l within a step
};

// The dot products of one row of codes with a quantized row, for blocks [b0, b1), portable.
float blocks_portable(const uint8_t* codes, const QuantizedRow& a, const float* w_scale,
                      int64_t block, int64_t b0, int64_t b1) {
  float sum = 0.f;
  for (int64_t b = b0; b < b1; ++b) {
    int32_t acc = 0;
    for (int64_t j = b * block / 2; j < (b + 1) * block / 2; ++j)
      acc += (codes[j] & 15) * a.even[j] + (codes[j] >> 4) * a.odd[j];
    sum += static_cast<float>(acc) * w_scale[b] * a.scale[b];
  }
  return sum;
}

#if defined(__x86_64__)
// 128 weights (64 bytes of codes) per step; lane l of the 16 int32 sums covers weights
// 8l..8l+7 of the step, which belong to block (128 step + 8 l) / block.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) float row_vnni512(const uint8_t* codes,
                                                                         const QuantizedRow& a,
                                                                         const float* w_scale,
                                                                         int64_t block,
                                                                         int64_t k_blocks) {
  // The last step may be partial (K of 784: 6 steps and a block): its codes are loaded under
  // a mask, and A's arrays are zero-padded to whole steps, so padding lanes add nothing.
  const int64_t row_bytes = k_blocks * block / 2;
  const int64_t steps = (row_bytes + 63) / 64;
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const int64_t per_step = std::max<int64_t>(1, 128 / block);  // blocks in one step
  const __m512i idx = _mm512_loadu_si512(a.lane_block);
  const int shift = __builtin_ctzll(static_cast<unsigned long long>(block));  // a power of two
  __m512 sum = _mm512_setzero_ps();
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t left = row_bytes - 64 * s;
    const __mmask64 byte_mask = left >= 64 ? ~__mmask64{0} : (__mmask64{1} << left) - 1;
    const int64_t first_block = (128 * s) >> shift;
    const int64_t blocks_here = std::min(per_step, k_blocks - first_block);
    const auto scale_mask = static_cast<__mmask16>((1u << blocks_here) - 1);
    const __m512i bytes = _mm512_maskz_loadu_epi8(byte_mask, codes + 64 * s);
    const __m512i lo = _mm512_and_si512(bytes, low4);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), low4);
    __m512i acc =
        _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_loadu_si512(a.even + 64 * s));
    acc = _mm512_dpbusd_epi32(acc, hi, _mm512_loadu_si512(a.odd + 64 * s));
    const __m512 ws =
        _mm512_permutexvar_ps(idx, _mm512_maskz_loadu_ps(scale_mask, w_scale + first_block));
    const __m512 as = _mm512_loadu_ps(a.lane_scale + 16 * s);
    sum = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), as), ws, sum);
  }
  return _mm512_reduce_add_ps(sum);
}

// 64 weights (32 bytes) per step; vpmaddubsw pairs never saturate (2 * 15 * 127 < 2^15).
__attribute__((target("avx2,fma"))) float row_avx2(const uint8_t* codes, const QuantizedRow& a,
                                                   const float* w_scale, int64_t block,
                                                   int64_t k_blocks) {
  const int64_t steps = k_blocks * block / 64;
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.lane_block));
  const int shift = __builtin_ctzll(static_cast<unsigned long long>(block));  // a power of two
  // Loads of block scales: 2 for blocks of 32, else 1.
  const __m256i scale_mask = _mm256_setr_epi32(-1, block == 32 ? -1 : 0, 0, 0, 0, 0, 0, 0);
  __m256 sum = _mm256_setzero_ps();
  for (int64_t s = 0; s < steps; ++s) {
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + 32 * s));
    const __m256i lo = _mm256_and_si256(bytes, low4);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low4);
    const __m256i e = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.even + 32 * s));
    const __m256i o = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.odd + 32 * s));
    const __m256i pairs =
        _mm256_add_epi16(_mm256_maddubs_epi16(lo, e), _mm256_maddubs_epi16(hi, o));
    const __m256i acc = _mm256_madd_epi16(pairs, ones);
    const __m256 ws = _mm256_permutevar8x32_ps(
        _mm256_maskload_ps(w_scale + ((64 * s) >> shift), scale_mask), idx);
    const __m256 as = _mm256_loadu_ps(a.lane_scale + 8 * s);
    sum = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), as), ws, sum);
  }
  __m128 r = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r) + blocks_portable(codes, a, w_scale, block, steps * 64 / block, k_blocks);
}
#endif

using RowFn = float (*)(const uint8_t*, const QuantizedRow&, const float*, int64_t, int64_t);

float row_portable(const uint8_t* codes, const QuantizedRow& a, const float* w_scale, int64_t block,
                   int64_t k_blocks) {
  return blocks_portable(codes, a, w_scale, block, 0, k_blocks);
}

RowFn pick_row_fn(Int4Q8Path path) {
#if defined(__x86_64__)
  const bool vnni = cpu_features().avx512_vnni && cpu_features().avx512bw_vl;
  const bool avx2 = cpu_features().avx2_fma;
  if (vnni && (path == Int4Q8Path::kBest || path == Int4Q8Path::kVnni512)) return row_vnni512;
  if (avx2 && (path == Int4Q8Path::kBest || path == Int4Q8Path::kAvx2)) return row_avx2;
#endif
  return path == Int4Q8Path::kPortable ? row_portable : nullptr;
}

class Int4Q8MatMul : public PreparedKernel {
 public:
  Int4Q8MatMul(Int4KernelWeights w, RowFn row, const ThreadPool& pool)
      : w_(std::move(w)),
        k_blocks_(nbits::blocks(w_.K, w_.block)),
        kp_(k_blocks_ * w_.block),
        slices_(static_cast<size_t>(std::max(1, pool.threads()))),
        row_(row),
        pool_(pool) {
    for (int l = 0; l < 16; ++l) lane_block_[l] = static_cast<int32_t>(8 * l / w_.block);
  }

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    const float* a = inputs[0]->data<float>();
    float* y = outputs[0]->data<float>();
    for (int64_t m = 0; m < w_.M; ++m) quantize_row(a + m * w_.K, m);
    const uint8_t* codes = w_.codes.data<uint8_t>();
    const int64_t row_bytes = kp_ / 2;
    pool_.parallel_for(slices_, [&](size_t slice) {
      const int64_t n0 = w_.N * static_cast<int64_t>(slice) / static_cast<int64_t>(slices_);
      const int64_t n1 = w_.N * static_cast<int64_t>(slice + 1) / static_cast<int64_t>(slices_);
      for (int64_t n = n0; n < n1; ++n) {
        const float* ws = w_.scales.data() + n * k_blocks_;
        const float* off = w_.offsets.data() + n * k_blocks_;
        const float b = w_.bias.empty() ? 0.f : w_.bias[static_cast<size_t>(n)];
        for (int64_t m = 0; m < w_.M; ++m) {
          const QuantizedRow r = row(m);
          float zero_point_term = 0.f;
          for (int64_t blk = 0; blk < k_blocks_; ++blk) zero_point_term += off[blk] * r.corr[blk];
          y[m * w_.N + n] =
              b + zero_point_term + row_(codes + n * row_bytes, r, ws, w_.block, k_blocks_);
        }
      }
    });
    return Status();
  }

  size_t workspace_bytes() const override { return static_cast<size_t>(w_.M) * per_row_bytes(); }
  void set_workspace(uint8_t* base) override { workspace_ = base; }

 private:
  // Per row of A: lane scales, block scales and corrections (floats, first, so they stay
  // aligned), then the even and odd int8 halves.
  // Lanes and halves padded to whole 128-weight steps (zeros), for the last partial step.
  int64_t lanes() const { return (kp_ / 8 + 15) / 16 * 16; }
  int64_t half() const { return (kp_ / 2 + 63) / 64 * 64; }
  size_t per_row_bytes() const {
    const auto floats = static_cast<size_t>(lanes() + 2 * k_blocks_);
    return (floats * sizeof(float) + 2 * static_cast<size_t>(half()) + 63) / 64 * 64;
  }
  QuantizedRow row(int64_t m) const {
    uint8_t* base = workspace_ + static_cast<size_t>(m) * per_row_bytes();
    const float* f = reinterpret_cast<const float*>(base);
    const auto* q = reinterpret_cast<const int8_t*>(f + lanes() + 2 * k_blocks_);
    return {q, q + half(), f + lanes(), f + lanes() + k_blocks_, f, lane_block_};
  }
  void quantize_row(const float* a, int64_t m) {
    uint8_t* base = workspace_ + static_cast<size_t>(m) * per_row_bytes();
    float* lane_scale = reinterpret_cast<float*>(base);
    float* scale = lane_scale + lanes();
    float* corr = scale + k_blocks_;
    auto* even = reinterpret_cast<int8_t*>(corr + k_blocks_);
    int8_t* odd = even + half();
    for (int64_t blk = 0; blk < k_blocks_; ++blk) {
      const int64_t k0 = blk * w_.block, k1 = std::min(w_.K, k0 + w_.block);
      float amax = 0.f;
      for (int64_t k = k0; k < k1; ++k) amax = std::max(amax, std::fabs(a[k]));
      const float s = amax / 127.f;
      const float inv = s > 0.f ? 1.f / s : 0.f;
      int32_t total = 0;
      for (int64_t k = k0; k < k0 + w_.block; ++k) {
        const int q = k < k1 ? static_cast<int>(std::nearbyint(a[k] * inv)) : 0;
        const auto v = static_cast<int8_t>(std::clamp(q, -127, 127));
        total += v;
        (k % 2 == 0 ? even : odd)[k / 2] = v;
      }
      scale[blk] = s;
      corr[blk] = s * static_cast<float>(total);
    }
    for (int64_t l = 0; l < kp_ / 8; ++l) lane_scale[l] = scale[8 * l / w_.block];
    std::fill(lane_scale + kp_ / 8, lane_scale + lanes(), 0.f);
    std::fill(even + kp_ / 2, even + half(), int8_t{0});
    std::fill(odd + kp_ / 2, odd + half(), int8_t{0});
  }

  Int4KernelWeights w_;
  int64_t k_blocks_, kp_;
  size_t slices_;
  RowFn row_;
  const ThreadPool& pool_;
  uint8_t* workspace_ = nullptr;
  int32_t lane_block_[16];
};

}  // namespace

std::unique_ptr<PreparedKernel> make_int4_q8_kernel(Int4KernelWeights w, const ThreadPool& pool,
                                                    Int4Q8Path path) {
  const RowFn row = pick_row_fn(path);
  if (!row || w.block < 32) return nullptr;
  return std::make_unique<Int4Q8MatMul>(std::move(w), row, pool);
}

}  // namespace ledge
