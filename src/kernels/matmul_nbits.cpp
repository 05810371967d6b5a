// Fast kernel of com.microsoft MatMulNBits with 4-bit codes (weight-only int4,
// src/quant/quantize_int4.h): the weights stay packed in memory (a quarter of int8's... half
// of int8, an eighth of float) and each output's row is expanded to float just before use:
//
//   per thread, per output n:  w[k] = code(n, k) * scale[n, blk] + offset[n, blk]
//                              (offset = -zero_point * scale, computed at prepare)
//                              y[m, n] = bias[n] + dot(A[m, :], w)   for every row m
//
// Expanding into a K-float scratch row (in L1) and then a dot product per row of A keeps
// both loops simple vector code; the weights are read once per run. The reference operator
// (src/ops/matmul_nbits.cpp) accumulates in double; this one in float, in a different order.
// With accuracy_level 4 the integer kernel (matmul_nbits_q8.h) runs instead where the CPU
// has one.
#include <algorithm>
#include <cstring>

#include "core/memory.h"
#include "kernels/cpu_features.h"
#include "kernels/fast_kernel.h"
#include "kernels/gemm.h"
#include "kernels/matmul_nbits_q8.h"
#include "ops/matmul_nbits_layout.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ledge {
namespace {

constexpr size_t kA = 0, kB = 1, kScales = 2, kZeroPoints = 3, kGIdx = 4, kBias = 5;

// Expands one row (k_blocks blobs of `block` codes) into `w` [K].
void expand_row_portable(const uint8_t* codes, const float* scale, const float* offset,
                         int64_t k_blocks, int64_t block, int64_t K, float* w) {
  for (int64_t b = 0; b < k_blocks; ++b) {
    const uint8_t* c = codes + b * block / 2;
    const int64_t n = std::min(block, K - b * block);
    float* out = w + b * block;
    for (int64_t j = 0; j < n; ++j)
      out[j] = static_cast<float>((c[j / 2] >> (4 * (j & 1))) & 15) * scale[b] + offset[b];
  }
}

float dot_portable(const float* a, const float* w, int64_t K) {
  float acc[8] = {};
  int64_t k = 0;
  for (; k + 8 <= K; k += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[k + j] * w[k + j];
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; k < K; ++k) s += a[k] * w[k];
  return s;
}

#if defined(__x86_64__)
// 16 packed bytes → 32 codes in order (low nibble first) → 32 floats, scaled and offset.
__attribute__((target("avx2,fma"))) void expand_row_avx2(const uint8_t* codes, const float* scale,
                                                         const float* offset, int64_t k_blocks,
                                                         int64_t block, int64_t K, float* w) {
  const __m128i low4 = _mm_set1_epi8(0x0F);
  for (int64_t b = 0; b < k_blocks; ++b) {
    const uint8_t* c = codes + b * block / 2;
    float* out = w + b * block;
    if ((b + 1) * block > K) {  // the last, partial block
      expand_row_portable(c, scale + b, offset + b, 1, block, K - b * block, out);
      continue;
    }
    const __m256 s = _mm256_set1_ps(scale[b]), o = _mm256_set1_ps(offset[b]);
    for (int64_t j = 0; j < block / 2; j += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + j));
      const __m128i lo = _mm_and_si128(bytes, low4);
      const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), low4);
      const __m128i first = _mm_unpacklo_epi8(lo, hi);  // codes 0..15 of these 32
      const __m128i second = _mm_unpackhi_epi8(lo, hi);
      const __m128i parts[4] = {first, _mm_srli_si128(first, 8), second, _mm_srli_si128(second, 8)};
      for (int p = 0; p < 4; ++p) {
        const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(parts[p]));
        _mm256_storeu_ps(out + 2 * j + 8 * p, _mm256_fmadd_ps(f, s, o));
      }
    }
  }
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* w, int64_t K) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(w + k), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 8), _mm256_loadu_ps(w + k + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 16), _mm256_loadu_ps(w + k + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 24), _mm256_loadu_ps(w + k + 24), acc3);
  }
  for (; k + 8 <= K; k += 8)
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(w + k), acc0);
  const __m256 sum = _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3));
  __m128 r = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  float s = _mm_cvtss_f32(r);
  for (; k < K; ++k) s += a[k] * w[k];
  return s;
}
#endif

using ExpandFn = void (*)(const uint8_t*, const float*, const float*, int64_t, int64_t, int64_t,
                          float*);
using DotFn = float (*)(const float*, const float*, int64_t);

struct Isa {
  ExpandFn expand = expand_row_portable;
  DotFn dot = dot_portable;
};

Isa pick_isa() {
  Isa isa;
#if defined(__x86_64__)
  if (cpu_features().avx2_fma) {
    isa.expand = expand_row_avx2;
    isa.dot = dot_avx2;
  }
#endif
  return isa;
}

class Int4MatMul : public PreparedKernel {
 public:
  Int4MatMul(Tensor codes, std::vector<float> scales, std::vector<float> offsets,
             std::vector<float> bias, int64_t M, int64_t N, int64_t K, int64_t block,
             const ThreadPool& pool)
      : codes_(std::move(codes)),
        scales_(std::move(scales)),
        offsets_(std::move(offsets)),
        bias_(std::move(bias)),
        M_(M),
        N_(N),
        K_(K),
        block_(block),
        k_blocks_(nbits::blocks(K, block)),
        slices_(static_cast<size_t>(std::max(1, pool.threads()))),
        pool_(pool),
        isa_(pick_isa()) {}

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    const float* a = inputs[kA]->data<float>();
    float* y = outputs[0]->data<float>();
    const uint8_t* codes = codes_.data<uint8_t>();
    const int64_t row_bytes = k_blocks_ * block_ / 2;
    pool_.parallel_for(slices_, [&](size_t slice) {
      // Each slice owns a contiguous range of outputs and its own scratch row.
      float* w = workspace_ + slice * static_cast<size_t>(padded_k());
      const int64_t n0 = N_ * static_cast<int64_t>(slice) / static_cast<int64_t>(slices_);
      const int64_t n1 = N_ * static_cast<int64_t>(slice + 1) / static_cast<int64_t>(slices_);
      for (int64_t n = n0; n < n1; ++n) {
        isa_.expand(codes + n * row_bytes, scales_.data() + n * k_blocks_,
                    offsets_.data() + n * k_blocks_, k_blocks_, block_, K_, w);
        const float b = bias_.empty() ? 0.f : bias_[static_cast<size_t>(n)];
        for (int64_t m = 0; m < M_; ++m) y[m * N_ + n] = b + isa_.dot(a + m * K_, w, K_);
      }
    });
    return Status();
  }
  size_t workspace_bytes() const override {
    return slices_ * static_cast<size_t>(padded_k()) * sizeof(float);
  }
  void set_workspace(uint8_t* base) override { workspace_ = reinterpret_cast<float*>(base); }

 private:
  // The scratch row holds whole blocks (the last block's padding codes are expanded too).
  int64_t padded_k() const { return k_blocks_ * block_ + 16; }

  Tensor codes_;
  std::vector<float> scales_, offsets_, bias_;
  int64_t M_, N_, K_, block_, k_blocks_;
  size_t slices_;
  const ThreadPool& pool_;
  Isa isa_;
  float* workspace_ = nullptr;
};

// Many rows of A (a 1x1 convolution's pixels, a batch): each weight would be expanded once
// per run but used M times, so the weights are expanded to float once, at prepare, and the
// product is the float GEMM. The artifact keeps the int4 codes; memory holds the floats, as
// for a float model.
class Int4ExpandedGemm : public PreparedKernel {
 public:
  Int4ExpandedGemm(BlockPtr<float> packed, std::vector<float> bias, int64_t M, int64_t N, int64_t K,
                   const ThreadPool& pool)
      : packed_(std::move(packed)), bias_(std::move(bias)), M_(M), N_(N), K_(K), pool_(pool) {}

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    GemmEpilogue e;
    e.bias = bias_.empty() ? nullptr : bias_.data();
    const auto m = static_cast<size_t>(M_), n = static_cast<size_t>(N_),
               k = static_cast<size_t>(K_);
    gemm_parallel(pool_.handle(), m, n, k, inputs[kA]->data<float>(), k, packed_.get(),
                  outputs[0]->data<float>(), n, e);
    return Status();
  }
  bool packed_constants() const override { return true; }

 private:
  BlockPtr<float> packed_;
  std::vector<float> bias_;
  int64_t M_, N_, K_;
  const ThreadPool& pool_;
};

// Rows of A from which expanding the weights once beats expanding them per run.
constexpr int64_t kExpandRows = 16;

Expected<std::unique_ptr<PreparedKernel>> expanded_gemm(const Tensor& codes,
                                                        const std::vector<float>& scales,
                                                        const std::vector<float>& offsets,
                                                        std::vector<float> bias, int64_t M,
                                                        int64_t N, int64_t K, int64_t block,
                                                        const ThreadPool& pool) {
  const int64_t k_blocks = nbits::blocks(K, block), row_bytes = k_blocks * block / 2;
  const auto n = static_cast<size_t>(N), k = static_cast<size_t>(K);
  // One row per output, as gemm_pack_columns reads them; each is expanded into a scratch
  // row of whole blocks (expand writes the last block's padding too), then its K values kept.
  std::vector<float> scratch(static_cast<size_t>(k_blocks * block + 16)), dense(n * k);
  const Isa isa = pick_isa();
  for (int64_t j = 0; j < N; ++j) {
    isa.expand(codes.data<uint8_t>() + j * row_bytes, scales.data() + j * k_blocks,
               offsets.data() + j * k_blocks, k_blocks, block, K, scratch.data());
    std::copy_n(scratch.data(), k, dense.data() + static_cast<size_t>(j) * k);
  }
  const size_t bytes = gemm_packed_size(k, n) * sizeof(float);
  BlockPtr<float> packed(static_cast<float*>(allocate_block(bytes)));  // zero-filled
  if (!packed) return resource_limit("out of memory for the expanded int4 weights");
  gemm_pack_columns(dense.data(), n, k, packed.get());
  return std::unique_ptr<PreparedKernel>(
      new Int4ExpandedGemm(std::move(packed), std::move(bias), M, N, K, pool));
}

Expected<std::unique_ptr<PreparedKernel>> none() { return std::unique_ptr<PreparedKernel>(); }

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const int64_t K = c.attr_int("K", -1), N = c.attr_int("N", -1), bits = c.attr_int("bits", 4);
  const int64_t block = c.attr_int("block_size", -1);
  if (bits != 4 || K < 1 || N < 1 || block < 32 || (block & (block - 1)) != 0) return none();
  if (c.has_input(kGIdx) || c.input_type(kA).dtype != DType::kFloat32) return none();
  const Tensor* codes = c.constant(kB);
  const Tensor* scales = c.constant(kScales);
  const Tensor* zps = c.has_input(kZeroPoints) ? c.constant(kZeroPoints) : nullptr;
  const Tensor* bias = c.has_input(kBias) ? c.constant(kBias) : nullptr;
  if (!codes || !scales || (c.has_input(kZeroPoints) && !zps) || (c.has_input(kBias) && !bias))
    return none();
  const int64_t k_blocks = nbits::blocks(K, block);
  const int64_t zp_row = nbits::zero_point_row_bytes(k_blocks, bits);
  if (codes->dtype() != DType::kUInt8 || codes->numel() != N * k_blocks * block / 2 ||
      scales->dtype() != DType::kFloat32 || scales->numel() != N * k_blocks)
    return none();
  if (zps && !((zps->dtype() == DType::kUInt8 && zps->numel() == N * zp_row) ||
               (zps->dtype() == DType::kFloat32 && zps->numel() == N * k_blocks)))
    return none();
  if (bias && (bias->dtype() != DType::kFloat32 || bias->numel() != N)) return none();
  const Shape& a = c.input_shape(kA);
  if (a.empty() || a.back() != K) return none();
  int64_t M = 1;
  for (size_t i = 0; i + 1 < a.size(); ++i) M *= a[i];

  std::vector<float> s(scales->data<float>(), scales->data<float>() + N * k_blocks);
  std::vector<float> offsets(s.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t b = 0; b < k_blocks; ++b) {
      const int64_t nb = n * k_blocks + b;
      float zero = 8.f;
      if (zps && zps->dtype() == DType::kUInt8)
        zero = nbits::code_at(zps->data<uint8_t>() + n * zp_row, b, bits);
      else if (zps)
        zero = zps->data<float>()[nb];
      offsets[static_cast<size_t>(nb)] = -zero * s[static_cast<size_t>(nb)];
    }
  std::vector<float> bv;
  if (bias) bv.assign(bias->data<float>(), bias->data<float>() + N);
  if (M >= kExpandRows)
    return expanded_gemm(*codes, s, offsets, std::move(bv), M, N, K, block, c.pool());
  // accuracy_level 4 allows int8 arithmetic on A (ONNX Runtime's meaning too).
  if (c.attr_int("accuracy_level", 0) == 4) {
    Int4KernelWeights w{*codes, s, offsets, bv, M, N, K, block};
    if (auto q8 = make_int4_q8_kernel(std::move(w), c.pool())) return q8;
  }
  return std::unique_ptr<PreparedKernel>(new Int4MatMul(*codes, std::move(s), std::move(offsets),
                                                        std::move(bv), M, N, K, block, c.pool()));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(MatMulNBits, "com.microsoft", "MatMulNBits", ledge::prepare)
