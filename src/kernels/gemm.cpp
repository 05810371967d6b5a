#include "kernels/gemm.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>

#include "kernels/cpu_features.h"
#include "kernels/gemm_blocks.h"
#include "kernels/simd.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's _mm512_max_ps/_mm512_min_ps pass an "undefined" vector as the unused merge
// operand, which -Wuninitialized and -Wmaybe-uninitialized report.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

// The register tiles must be fully unrolled to stay in registers.
#if defined(__clang__)
#define LEDGE_UNROLL _Pragma("unroll")
#else
#define LEDGE_UNROLL _Pragma("GCC unroll 16")
#endif

namespace ledge {

size_t gemm_packed_size(size_t k, size_t n) {
  return (n + kGemmPanel - 1) / kGemmPanel * kGemmPanel * k;
}

void gemm_pack_columns(const float* w, size_t n, size_t k, float* packed) {
  constexpr size_t kDepthTile = 16;
  for (size_t j0 = 0; j0 < n; j0 += kGemmPanel) {
    const size_t cols = std::min(kGemmPanel, n - j0);
    float* panel = packed + j0 * k;  // panel j0 / 32 starts at (j0 / 32) * k * 32
    for (size_t p0 = 0; p0 < k; p0 += kDepthTile) {
      const size_t depth = std::min(kDepthTile, k - p0);
      for (size_t jj = 0; jj < cols; ++jj) {
        const float* src = w + (j0 + jj) * k + p0;
        float* dst = panel + p0 * kGemmPanel + jj;
        for (size_t pp = 0; pp < depth; ++pp) dst[pp * kGemmPanel] = src[pp];
      }
    }
  }
}

void gemm_reference(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* packed_b,
                    float* c, size_t ldc, const GemmEpilogue& epilogue) {
  for (size_t j0 = 0; j0 < n; j0 += kGemmPanel) {
    const float* b = packed_b + j0 * k;
    const size_t cols = std::min(kGemmPanel, n - j0);
    for (size_t i = 0; i < m; ++i) {
      float acc[kGemmPanel] = {};
      for (size_t p = 0; p < k; ++p) {
        const float av = a[i * lda + p];
        for (size_t l = 0; l < kGemmPanel; ++l) acc[l] += av * b[p * kGemmPanel + l];
      }
      for (size_t l = 0; l < cols; ++l) {
        const float v =
            std::min(std::max(acc[l] + (epilogue.bias ? epilogue.bias[j0 + l] : 0.f), epilogue.min),
                     epilogue.max);
        c[i * ldc + j0 + l] = epilogue.hard_swish ? v * std::clamp(v / 6.f + 0.5f, 0.f, 1.f) : v;
      }
    }
  }
}

namespace {

#if defined(__x86_64__)

// MR rows x 32 columns: 2*MR accumulators, two loads of B and MR broadcasts of A per step.
template <int MR>
__attribute__((target("avx512f"), noinline)) void tile_avx512(
    const float* a, size_t lda, const float* b, size_t k, float* c, size_t ldc, __mmask16 lo,
    __mmask16 hi, const float* bias, float min, float max, bool hard_swish) {
  __m512 acc0[MR], acc1[MR];
  LEDGE_UNROLL
  for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  for (size_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_load_ps(b + p * kGemmPanel);
    const __m512 b1 = _mm512_load_ps(b + p * kGemmPanel + 16);
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + p]);
      acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
    }
  }
  // The epilogue's vectors are made only now: live during the loop, they pushed B's
  // vectors out of the registers.
  const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(lo, bias) : _mm512_setzero_ps();
  const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(hi, bias + 16) : _mm512_setzero_ps();
  const __m512 vmin = _mm512_set1_ps(min), vmax = _mm512_set1_ps(max);
  LEDGE_UNROLL
  for (int r = 0; r < MR; ++r) {
    __m512 v0 = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(acc0[r], bias0), vmin), vmax);
    __m512 v1 = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(acc1[r], bias1), vmin), vmax);
    if (hard_swish) {
      v0 = hard_swish_512(v0);
      v1 = hard_swish_512(v1);
    }
    _mm512_mask_storeu_ps(c + r * ldc, lo, v0);
    _mm512_mask_storeu_ps(c + r * ldc + 16, hi, v1);
  }
}

// MR rows x 16 columns, for a last panel with at most 16 columns (layers with 16 or 24
// outputs are common): no work on the panel's empty half, and more rows per step.
template <int MR>
__attribute__((target("avx512f"), noinline)) void tile_avx512_half(
    const float* a, size_t lda, const float* b, size_t k, float* c, size_t ldc, __mmask16 lo,
    const float* bias, float min, float max, bool hard_swish) {
  __m512 acc[MR];
  LEDGE_UNROLL
  for (int r = 0; r < MR; ++r) acc[r] = _mm512_setzero_ps();
  for (size_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_load_ps(b + p * kGemmPanel);
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r)
      acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + p]), b0, acc[r]);
  }
  const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(lo, bias) : _mm512_setzero_ps();
  const __m512 vmin = _mm512_set1_ps(min), vmax = _mm512_set1_ps(max);
  LEDGE_UNROLL
  for (int r = 0; r < MR; ++r) {
    const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(acc[r], bias0), vmin), vmax);
    _mm512_mask_storeu_ps(c + r * ldc, lo, hard_swish ? hard_swish_512(v) : v);
  }
}

__attribute__((target("avx512f"))) void gemm_avx512(size_t m, size_t n, size_t k, const float* a,
                                                    size_t lda, const float* packed_b, float* c,
                                                    size_t ldc, const GemmEpilogue& e) {
  constexpr int kRows = 8;
  for (size_t j0 = 0; j0 < n; j0 += kGemmPanel) {
    const float* b = packed_b + j0 * k;
    const size_t cols = std::min(kGemmPanel, n - j0);
    const auto lo = static_cast<__mmask16>(cols >= 16 ? 0xffff : (1u << cols) - 1);
    const auto hi = static_cast<__mmask16>(cols >= 32  ? 0xffff
                                           : cols > 16 ? (1u << (cols - 16)) - 1
                                                       : 0);
    const float* bias = e.bias ? e.bias + j0 : nullptr;
    size_t i = 0;
    if (cols <= 16) {
      constexpr int kHalfRows = 12;
      for (; i + kHalfRows <= m; i += kHalfRows)
        tile_avx512_half<kHalfRows>(a + i * lda, lda, b, k, c + i * ldc + j0, ldc, lo, bias, e.min,
                                    e.max, e.hard_swish);
      for (; i + 4 <= m; i += 4)
        tile_avx512_half<4>(a + i * lda, lda, b, k, c + i * ldc + j0, ldc, lo, bias, e.min, e.max,
                            e.hard_swish);
      for (; i < m; ++i)
        tile_avx512_half<1>(a + i * lda, lda, b, k, c + i * ldc + j0, ldc, lo, bias, e.min, e.max,
                            e.hard_swish);
      continue;
    }
    for (; i + kRows <= m; i += kRows)
      tile_avx512<kRows>(a + i * lda, lda, b, k, c + i * ldc + j0, ldc, lo, hi, bias, e.min, e.max,
                         e.hard_swish);
    const float* ar = a + i * lda;
    float* cr = c + i * ldc + j0;
#define LEDGE_TAIL(R)                                                                 \
  case R:                                                                             \
    tile_avx512<R>(ar, lda, b, k, cr, ldc, lo, hi, bias, e.min, e.max, e.hard_swish); \
    break;
    switch (m - i) {
      LEDGE_TAIL(7)
      LEDGE_TAIL(6)
      LEDGE_TAIL(5)
      LEDGE_TAIL(4)
      LEDGE_TAIL(3)
      LEDGE_TAIL(2)
      LEDGE_TAIL(1)
      default:
        break;
    }
#undef LEDGE_TAIL
  }
}

// MR rows x 16 columns (half a panel): 2*MR accumulators in the 16 AVX2 registers.
template <int MR>
__attribute__((target("avx2,fma"), noinline)) void tile_avx2(const float* a, size_t lda,
                                                             const float* b, size_t k, float* c,
                                                             size_t ldc, size_t cols,
                                                             const float* bias, float min,
                                                             float max, bool hard_swish) {
  __m256 acc0[MR], acc1[MR];
  LEDGE_UNROLL
  for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (size_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(b + p * kGemmPanel);
    const __m256 b1 = _mm256_load_ps(b + p * kGemmPanel + 8);
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + p);
      acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
    }
  }
  const __m256 bias0 = _mm256_loadu_ps(bias), bias1 = _mm256_loadu_ps(bias + 8);
  const __m256 vmin = _mm256_set1_ps(min), vmax = _mm256_set1_ps(max);
  LEDGE_UNROLL
  for (int r = 0; r < MR; ++r) {
    __m256 v0 = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc0[r], bias0), vmin), vmax);
    __m256 v1 = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc1[r], bias1), vmin), vmax);
    if (hard_swish) {
      v0 = hard_swish_256(v0);
      v1 = hard_swish_256(v1);
    }
    if (cols >= 16) {
      _mm256_storeu_ps(c + r * ldc, v0);
      _mm256_storeu_ps(c + r * ldc + 8, v1);
    } else {
      alignas(32) float row[16];
      _mm256_store_ps(row, v0);
      _mm256_store_ps(row + 8, v1);
      std::memcpy(c + r * ldc, row, cols * sizeof(float));
    }
  }
}

__attribute__((target("avx2,fma"))) void gemm_avx2(size_t m, size_t n, size_t k, const float* a,
                                                   size_t lda, const float* packed_b, float* c,
                                                   size_t ldc, const GemmEpilogue& e) {
  constexpr int kRows = 6;
  for (size_t j0 = 0; j0 < n; j0 += 16) {
    const float* b = packed_b + (j0 / kGemmPanel) * k * kGemmPanel + j0 % kGemmPanel;
    const size_t cols = std::min<size_t>(16, n - j0);
    float bias[16] = {};  // padded: the tile reads 16
    if (e.bias) std::memcpy(bias, e.bias + j0, cols * sizeof(float));
    size_t i = 0;
    for (; i + kRows <= m; i += kRows)
      tile_avx2<kRows>(a + i * lda, lda, b, k, c + i * ldc + j0, ldc, cols, bias, e.min, e.max,
                       e.hard_swish);
    const float* ar = a + i * lda;
    float* cr = c + i * ldc + j0;
#define LEDGE_TAIL(R)                                                             \
  case R:                                                                         \
    tile_avx2<R>(ar, lda, b, k, cr, ldc, cols, bias, e.min, e.max, e.hard_swish); \
    break;
    switch (m - i) {
      LEDGE_TAIL(5)
      LEDGE_TAIL(4)
      LEDGE_TAIL(3)
      LEDGE_TAIL(2)
      LEDGE_TAIL(1)
      default:
        break;
    }
#undef LEDGE_TAIL
  }
}

#endif  // __x86_64__

using GemmFn = void (*)(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t,
                        const GemmEpilogue&);

GemmFn best_gemm() {
  static const GemmFn fn = gemm_paths().front().fn;
  return fn;
}

// gemm_parallel's work: blocks of rows x panels (gemm_blocks.h).
struct ParallelGemm {
  GemmBlocks blocks;
  size_t m, n, k;
  const float* a;
  size_t lda;
  const float* packed_b;
  float* c;
  size_t ldc;
  const GemmEpilogue* epilogue;
};

void gemm_block(void* context, size_t row_block, size_t col_block) {
  const auto& g = *static_cast<const ParallelGemm*>(context);
  const size_t i = row_block * g.blocks.rows, j = col_block * g.blocks.panels * kGemmPanel;
  const size_t rows = std::min(g.blocks.rows, g.m - i),
               cols = std::min(g.blocks.panels * kGemmPanel, g.n - j);
  GemmEpilogue e = *g.epilogue;
  if (e.bias) e.bias += j;
  best_gemm()(rows, cols, g.k, g.a + i * g.lda, g.lda, g.packed_b + j * g.k, g.c + i * g.ldc + j,
              g.ldc, e);
}

}  // namespace

std::vector<GemmPath> gemm_paths() {
  std::vector<GemmPath> paths;
#if defined(__x86_64__)
  if (cpu_features().avx512f) paths.push_back({"avx512", gemm_avx512});
  if (cpu_features().avx2_fma) paths.push_back({"avx2", gemm_avx2});
#endif
  paths.push_back({"reference", gemm_reference});
  return paths;
}

void gemm(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* packed_b, float* c,
          size_t ldc, const GemmEpilogue& epilogue) {
  best_gemm()(m, n, k, a, lda, packed_b, c, ldc, epilogue);
}

void gemm_parallel(pthreadpool* pool, size_t m, size_t n, size_t k, const float* a, size_t lda,
                   const float* packed_b, float* c, size_t ldc, const GemmEpilogue& epilogue) {
  if (!pool) return gemm(m, n, k, a, lda, packed_b, c, ldc, epilogue);
  const size_t panels = (n + kGemmPanel - 1) / kGemmPanel;
  const GemmBlocks blocks = gemm_blocks(m, panels, pthreadpool_get_threads_count(pool), 8);
  ParallelGemm g{blocks, m, n, k, a, lda, packed_b, c, ldc, &epilogue};
  pthreadpool_parallelize_2d(pool, gemm_block, &g, blocks.row_blocks, blocks.panel_blocks, 0);
}

}  // namespace ledge
