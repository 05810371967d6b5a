#include "kernels/qgemm.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "kernels/cpu_features.h"
#include "kernels/gemm_blocks.h"
#include "kernels/qgemm_panel.h"
#include "ops/quant_common.h"

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

namespace {

size_t panels_of(size_t n) { return qgemm_panels_of(n); }

using qgemm_detail::kFloatOut;
using qgemm_detail::RangeFn;

template <class Out>
void reference_range(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                     const QGemmRequant& r, size_t j0, size_t j1, Out* c, size_t ldc) {
  // Zero points are uint8 values, so each (A - zp) * W fits in int32; only the sum wraps.
  for (size_t i = 0; i < m; ++i)
    for (size_t j = j0; j < j1; ++j) {
      int32_t acc = 0;
      for (size_t p = 0; p < w.k; ++p) {
        const int32_t wv = w.panels[qgemm_packed_index(w.k4, j, p)];
        acc = quant::wrap_add(acc, (static_cast<int32_t>(a[i * lda + p]) - r.a_zero_point) * wv);
      }
      if (r.bias) acc = quant::wrap_add(acc, r.bias[j]);
      const float scaled = static_cast<float>(acc) * r.multiplier[j];
      if constexpr (kFloatOut<Out>)
        c[i * ldc + j] = scaled;
      else
        c[i * ldc + j] = quant::saturate_round<uint8_t, float>(scaled, r.y_zero_point);
    }
}

#if defined(__x86_64__)

// 4 bytes of a row of A, as vpdpbusd takes them. memcpy: A rows have any alignment.
inline uint32_t load4(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// The last 1 to 3 bytes of a row, zero-extended: reading 4 could run past the buffer. (The
// zeros meet the zero padding of W, but any value would do: W is zero there.) Byte by byte:
// a memcpy of a run-time length is a library call, which on a depth of 27 (a first layer's
// 3x3x3 windows) cost more than the tile's dot products.
inline uint32_t load_tail(const uint8_t* p, size_t bytes) {
  uint32_t v = p[0];
  if (bytes > 1) v |= static_cast<uint32_t>(p[1]) << 8;
  if (bytes > 2) v |= static_cast<uint32_t>(p[2]) << 16;
  return v;
}

using qgemm_detail::panel_requant;
using qgemm_detail::PanelRequant;

// MR rows x 16*NV columns of C: NV*MR int32 accumulators. Each depth step loads NV vectors
// of W (16 columns x 4 bytes) and broadcasts 4 bytes of each of the MR rows of A.
template <class Out, int MR, int NV>
__attribute__((target("avx512f,avx512vnni"), noinline)) void tile_vnni512(const uint8_t* a,
                                                                          size_t lda,
                                                                          const int8_t* b, size_t k,
                                                                          Out* c, size_t ldc,
                                                                          const PanelRequant& q) {
  __m512i acc[NV][MR];
  LEDGE_UNROLL
  for (int v = 0; v < NV; ++v) {
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) acc[v][r] = _mm512_setzero_si512();
  }
  const size_t steps = k / 4, tail = k % 4;
  for (size_t s = 0; s < steps; ++s) {
    __m512i bv[NV];
    LEDGE_UNROLL
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_si512(b + s * 128 + v * 64);
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m512i av = _mm512_set1_epi32(static_cast<int>(load4(a + r * lda + s * 4)));
      LEDGE_UNROLL
      for (int v = 0; v < NV; ++v) acc[v][r] = _mm512_dpbusd_epi32(acc[v][r], av, bv[v]);
    }
  }
  if (tail) {
    __m512i bv[NV];
    LEDGE_UNROLL
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_si512(b + steps * 128 + v * 64);
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m512i av =
          _mm512_set1_epi32(static_cast<int>(load_tail(a + r * lda + steps * 4, tail)));
      LEDGE_UNROLL
      for (int v = 0; v < NV; ++v) acc[v][r] = _mm512_dpbusd_epi32(acc[v][r], av, bv[v]);
    }
  }

  // Requantization, made only now so its vectors do not compete with the loop's registers.
  const __m512i azp = _mm512_set1_epi32(q.a_zero_point);
  LEDGE_UNROLL
  for (int v = 0; v < NV; ++v) {
    const size_t first = static_cast<size_t>(v) * 16;
    const size_t cols = q.width > first ? std::min<size_t>(16, q.width - first) : 0;
    const auto mask = static_cast<__mmask16>((1u << cols) - 1);
    // bias - a_zero_point * sum W, wrapping: with sum A W it makes sum (A - zp) W + bias.
    __m512i offset = _mm512_sub_epi32(
        q.bias ? _mm512_maskz_loadu_epi32(mask, q.bias + first) : _mm512_setzero_si512(),
        _mm512_mullo_epi32(azp, _mm512_loadu_si512(q.column_sums + first)));
    const __m512 mult = _mm512_maskz_loadu_ps(mask, q.multiplier + first);
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) {
      // float(acc) * multiplier: vcvtdq2ps rounds to nearest, as static_cast<float> does.
      __m512 s = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc[v][r], offset)), mult);
      if constexpr (kFloatOut<Out>) {
        _mm512_mask_storeu_ps(c + r * ldc + first, mask, s);
      } else {
        // With few depth steps this is most of the tile's work, so it is kept short: the
        // clamp to [0 - zp, 255 - zp] comes before the rounding (the bounds are whole, so
        // the order does not change the result) and leaves y in 0..255 with no integer
        // clamp, and the conversion rounds to nearest-even itself.
        const __m512 lo = _mm512_set1_ps(q.lo), hi = _mm512_set1_ps(q.hi);
        if (!q.finite)
          s = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(s, s, _CMP_ORD_Q), s);  // NaN -> 0
        s = _mm512_min_ps(_mm512_max_ps(s, lo), hi);
        const __m512i y = _mm512_add_epi32(
            _mm512_cvt_roundps_epi32(s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
            _mm512_set1_epi32(q.y_zero_point));
        _mm512_mask_cvtepi32_storeu_epi8(c + r * ldc + first, mask, y);
      }
    }
  }
}

template <class Out, int MR>
__attribute__((target("avx512f,avx512vnni"))) void panels_vnni512(const uint8_t* a, size_t lda,
                                                                  const QGemmWeights& w,
                                                                  const QGemmRequant& r, size_t j0,
                                                                  size_t j1, Out* c, size_t ldc) {
  for (size_t j = j0; j < j1; j += kQGemmPanel) {
    const PanelRequant q = panel_requant(w, r, j, j1);
    const int8_t* b = w.panels + j * w.k4;
    if (q.width > 16)
      tile_vnni512<Out, MR, 2>(a, lda, b, w.k, c + j, ldc, q);
    else  // a last panel of at most 16 columns: no work on its empty half
      tile_vnni512<Out, MR, 1>(a, lda, b, w.k, c + j, ldc, q);
  }
}

// Row tiles outside, panels inside: the tile's rows of A stay in the L1 cache while the
// panels of W (which fit the L2 cache for convolution-sized layers) stream past them.
template <class Out>
__attribute__((target("avx512f,avx512vnni"))) void range_vnni512(size_t m, const uint8_t* a,
                                                                 size_t lda, const QGemmWeights& w,
                                                                 const QGemmRequant& r, size_t j0,
                                                                 size_t j1, Out* c, size_t ldc) {
  constexpr int kRows = 8;
  size_t i = 0;
  for (; i + kRows <= m; i += kRows)
    panels_vnni512<Out, kRows>(a + i * lda, lda, w, r, j0, j1, c + i * ldc, ldc);
  const uint8_t* ar = a + i * lda;
  Out* cr = c + i * ldc;
#define LEDGE_TAIL(R)                                       \
  case R:                                                   \
    panels_vnni512<Out, R>(ar, lda, w, r, j0, j1, cr, ldc); \
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

// MR rows x 16 columns (half a panel, at column offset `half` * 16 of it): 2*MR int32
// accumulators of 8 lanes in the 16 AVX registers.
template <class Out, int MR>
__attribute__((target("avx2,avxvnni"), noinline)) void tile_avxvnni(const uint8_t* a, size_t lda,
                                                                    const int8_t* b, size_t k,
                                                                    Out* c, size_t ldc,
                                                                    const PanelRequant& q,
                                                                    size_t half) {
  __m256i acc0[MR], acc1[MR];
  LEDGE_UNROLL
  for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = _mm256_setzero_si256();
  b += half * 64;
  const size_t steps = k / 4, tail = k % 4;
  for (size_t s = 0; s < steps; ++s) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + s * 128));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + s * 128 + 32));
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m256i av = _mm256_set1_epi32(static_cast<int>(load4(a + r * lda + s * 4)));
      acc0[r] = _mm256_dpbusd_avx_epi32(acc0[r], av, b0);
      acc1[r] = _mm256_dpbusd_avx_epi32(acc1[r], av, b1);
    }
  }
  if (tail) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + steps * 128));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + steps * 128 + 32));
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m256i av =
          _mm256_set1_epi32(static_cast<int>(load_tail(a + r * lda + steps * 4, tail)));
      acc0[r] = _mm256_dpbusd_avx_epi32(acc0[r], av, b0);
      acc1[r] = _mm256_dpbusd_avx_epi32(acc1[r], av, b1);
    }
  }

  const size_t first = half * 16;
  const size_t cols = std::min<size_t>(16, q.width - first);
  // Lanes past `cols` load nothing (maskload does not touch masked-off memory).
  alignas(32) int32_t lane_on[16];
  for (size_t l = 0; l < 16; ++l) lane_on[l] = l < cols ? -1 : 0;
  const __m256i mask0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lane_on));
  const __m256i mask1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lane_on + 8));
  const __m256i azp = _mm256_set1_epi32(q.a_zero_point);
  __m256i offset0 = _mm256_mullo_epi32(
      azp, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q.column_sums + first)));
  __m256i offset1 = _mm256_mullo_epi32(
      azp, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q.column_sums + first + 8)));
  offset0 = _mm256_sub_epi32(
      q.bias ? _mm256_maskload_epi32(q.bias + first, mask0) : _mm256_setzero_si256(), offset0);
  offset1 = _mm256_sub_epi32(
      q.bias ? _mm256_maskload_epi32(q.bias + first + 8, mask1) : _mm256_setzero_si256(), offset1);
  const __m256 mult0 = _mm256_maskload_ps(q.multiplier + first, mask0);
  const __m256 mult1 = _mm256_maskload_ps(q.multiplier + first + 8, mask1);
  if constexpr (kFloatOut<Out>) {
    // float(acc) * multiplier, as in the AVX-512 tile; maskstore writes no lane past `cols`.
    LEDGE_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m256 s0 =
          _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(acc0[r], offset0)), mult0);
      const __m256 s1 =
          _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(acc1[r], offset1)), mult1);
      float* out = c + r * ldc + first;
      if (cols == 16) {
        _mm256_storeu_ps(out, s0);
        _mm256_storeu_ps(out + 8, s1);
      } else {
        _mm256_maskstore_ps(out, mask0, s0);
        _mm256_maskstore_ps(out + 8, mask1, s1);
      }
    }
    return;
  }
  const __m256 lo = _mm256_set1_ps(q.lo), hi = _mm256_set1_ps(q.hi);
  const __m256i yzp = _mm256_set1_epi32(q.y_zero_point);
  const __m256i qmin = _mm256_setzero_si256(), qmax = _mm256_set1_epi32(255);
  // Requantizes 8 accumulators: the same steps as the AVX-512 tile.
#define LEDGE_REQUANT(ACC, OFFSET, MULT, OUT)                                          \
  {                                                                                    \
    __m256 s = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(ACC, OFFSET)), MULT); \
    s = _mm256_round_ps(s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);             \
    s = _mm256_and_ps(s, _mm256_cmp_ps(s, s, _CMP_ORD_Q)); /* NaN -> 0 */              \
    s = _mm256_min_ps(_mm256_max_ps(s, lo), hi);                                       \
    OUT = _mm256_add_epi32(_mm256_cvtps_epi32(s), yzp);                                \
    OUT = _mm256_min_epi32(_mm256_max_epi32(OUT, qmin), qmax);                         \
  }
  LEDGE_UNROLL
  for (int r = 0; r < MR; ++r) {
    __m256i y0, y1;
    LEDGE_REQUANT(acc0[r], offset0, mult0, y0)
    LEDGE_REQUANT(acc1[r], offset1, mult1, y1)
    // 16 values in 0..255 to bytes, in order: the 32-bit packs work within 128-bit lanes.
    const __m256i words = _mm256_permute4x64_epi64(_mm256_packus_epi32(y0, y1), 0xd8);
    const __m128i bytes =
        _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
    if (cols == 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(c + r * ldc + first), bytes);
    } else {
      alignas(16) uint8_t row[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(row), bytes);
      std::memcpy(c + r * ldc + first, row, cols);
    }
  }
#undef LEDGE_REQUANT
}

template <class Out, int MR>
__attribute__((target("avx2,avxvnni"))) void panels_avxvnni(const uint8_t* a, size_t lda,
                                                            const QGemmWeights& w,
                                                            const QGemmRequant& r, size_t j0,
                                                            size_t j1, Out* c, size_t ldc) {
  for (size_t j = j0; j < j1; j += kQGemmPanel) {
    const PanelRequant q = panel_requant(w, r, j, j1);
    const int8_t* b = w.panels + j * w.k4;
    tile_avxvnni<Out, MR>(a, lda, b, w.k, c + j, ldc, q, 0);
    if (q.width > 16) tile_avxvnni<Out, MR>(a, lda, b, w.k, c + j, ldc, q, 1);
  }
}

template <class Out>
__attribute__((target("avx2,avxvnni"))) void range_avxvnni(size_t m, const uint8_t* a, size_t lda,
                                                           const QGemmWeights& w,
                                                           const QGemmRequant& r, size_t j0,
                                                           size_t j1, Out* c, size_t ldc) {
  constexpr int kRows = 6;
  size_t i = 0;
  for (; i + kRows <= m; i += kRows)
    panels_avxvnni<Out, kRows>(a + i * lda, lda, w, r, j0, j1, c + i * ldc, ldc);
  const uint8_t* ar = a + i * lda;
  Out* cr = c + i * ldc;
#define LEDGE_TAIL(R)                                       \
  case R:                                                   \
    panels_avxvnni<Out, R>(ar, lda, w, r, j0, j1, cr, ldc); \
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

#endif  // __x86_64__

template <class Out>
struct RangePath {
  const char* name;
  RangeFn<Out> fn;
};

// Best first, as qgemm_paths() lists them.
template <class Out>
std::vector<RangePath<Out>> range_paths() {
  std::vector<RangePath<Out>> paths;
#if defined(__x86_64__)
  if (cpu_features().avx512_vnni) paths.push_back({"avx512vnni", range_vnni512<Out>});
  if (cpu_features().avx_vnni) paths.push_back({"avxvnni", range_avxvnni<Out>});
#elif defined(__aarch64__)
  if (qgemm_detail::has_neon_dot())
    paths.push_back({"neon_dot", qgemm_detail::range_neon_dot<Out>});
  paths.push_back({"neon", qgemm_detail::range_neon<Out>});
#endif
  paths.push_back({"reference", reference_range<Out>});
  return paths;
}

template <class Out>
RangeFn<Out> best_range() {
  static const RangeFn<Out> fn = range_paths<Out>().front().fn;
  return fn;
}

// A path's whole product: every column.
template <class Out, size_t I>
void whole(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w, const QGemmRequant& r,
           Out* c, size_t ldc) {
  static const RangeFn<Out> fn = range_paths<Out>()[I].fn;
  fn(m, a, lda, w, r, 0, w.n, c, ldc);
}

// The public list of one output type's paths: whole<Out, I> wraps range_paths<Out>()[I];
// the list has at most three entries.
template <class Out, class Path>
std::vector<Path> whole_paths() {
  static constexpr typename Path::Fn kWhole[] = {whole<Out, 0>, whole<Out, 1>, whole<Out, 2>};
  std::vector<Path> paths;
  const auto ranges = range_paths<Out>();
  for (size_t i = 0; i < ranges.size(); ++i) paths.push_back({ranges[i].name, kWhole[i]});
  return paths;
}

// qgemm_parallel's work: blocks of rows x panels (gemm_blocks.h).
template <class Out>
struct ParallelQGemm {
  GemmBlocks blocks;
  size_t m;
  const uint8_t* a;
  size_t lda;
  const QGemmWeights* w;
  const QGemmRequant* r;
  Out* c;
  size_t ldc;
};

template <class Out>
void qgemm_block(void* context, size_t row_block, size_t col_block) {
  const auto& g = *static_cast<const ParallelQGemm<Out>*>(context);
  const size_t i = row_block * g.blocks.rows, j = col_block * g.blocks.panels * kQGemmPanel;
  const size_t rows = std::min(g.blocks.rows, g.m - i);
  const size_t j1 = std::min(j + g.blocks.panels * kQGemmPanel, g.w->n);
  best_range<Out>()(rows, g.a + i * g.lda, g.lda, *g.w, *g.r, j, j1, g.c + i * g.ldc, g.ldc);
}

template <class Out>
void parallel(pthreadpool* pool, size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
              const QGemmRequant& r, Out* c, size_t ldc) {
  if (!pool) return best_range<Out>()(m, a, lda, w, r, 0, w.n, c, ldc);
  const GemmBlocks blocks = gemm_blocks(m, panels_of(w.n), pthreadpool_get_threads_count(pool), 8);
  ParallelQGemm<Out> g{blocks, m, a, lda, &w, &r, c, ldc};
  pthreadpool_parallelize_2d(pool, qgemm_block<Out>, &g, blocks.row_blocks, blocks.panel_blocks, 0);
}

}  // namespace

Expected<QGemmWeights> qgemm_pack(const int8_t* w, size_t n, size_t k) {
  const size_t bytes = qgemm_prepacked_bytes(n, k);
  if (bytes == 0) return qgemm_borrow(nullptr, n, k, nullptr);  // no columns
  // Zero-filled: the padding.
  std::shared_ptr<void> block(allocate_block(bytes), [](void* p) { free_block(p); });
  if (!block) return resource_limit("out of memory for packed int8 weights");
  auto* bytes_at = static_cast<int8_t*>(block.get());
  qgemm_pack_into(w, n, k, bytes_at);
  return qgemm_borrow(bytes_at, n, k, std::move(block));
}

QGemmWeights qgemm_borrow(const int8_t* block, size_t n, size_t k,
                          std::shared_ptr<const void> owner) {
  QGemmWeights q;
  q.n = n;
  q.k = k;
  q.k4 = qgemm_depth4(k);
  q.panels = block;
  if (block) q.column_sums = reinterpret_cast<const int32_t*>(block + qgemm_packed_size(n, k));
  q.storage = std::move(owner);
  return q;
}

void qgemm_reference(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                     const QGemmRequant& r, uint8_t* c, size_t ldc) {
  reference_range<uint8_t>(m, a, lda, w, r, 0, w.n, c, ldc);
}

std::vector<QGemmPath> qgemm_paths() { return whole_paths<uint8_t, QGemmPath>(); }

void qgemm(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w, const QGemmRequant& r,
           uint8_t* c, size_t ldc) {
  best_range<uint8_t>()(m, a, lda, w, r, 0, w.n, c, ldc);
}

void qgemm_parallel(pthreadpool* pool, size_t m, const uint8_t* a, size_t lda,
                    const QGemmWeights& w, const QGemmRequant& r, uint8_t* c, size_t ldc) {
  parallel<uint8_t>(pool, m, a, lda, w, r, c, ldc);
}

void qgemm_f32_reference(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                         const QGemmRequant& r, float* c, size_t ldc) {
  reference_range<float>(m, a, lda, w, r, 0, w.n, c, ldc);
}

std::vector<QGemmF32Path> qgemm_f32_paths() { return whole_paths<float, QGemmF32Path>(); }

void qgemm_f32(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w, const QGemmRequant& r,
               float* c, size_t ldc) {
  best_range<float>()(m, a, lda, w, r, 0, w.n, c, ldc);
}

void qgemm_f32_parallel(pthreadpool* pool, size_t m, const uint8_t* a, size_t lda,
                        const QGemmWeights& w, const QGemmRequant& r, float* c, size_t ldc) {
  parallel<float>(pool, m, a, lda, w, r, c, ldc);
}

}  // namespace ledge
