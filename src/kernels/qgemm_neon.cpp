// qgemm's aarch64 paths (the definition and the packed layout: src/kernels/qgemm.h).
//
// NEON multiplies signed bytes by signed bytes, while A is unsigned: each byte of A is
// flipped to a - 128 (an XOR with 0x80), and the sum gains 128 * sum W back in the offset:
//   sum (a - zp) w = sum (a - 128) w + (128 - zp) sum w   (all modulo 2^32).
// A tile is MR rows x 16 columns (half a packed panel: four vectors of 4 columns x 4 depth
// bytes, the layout the x86 paths read). The dot-product path uses SDOT (4 byte products
// added to each int32 lane); the plain path multiplies to int16 (at most 128 * 128) and adds
// pairs into int32 lanes, two vectors per 4 columns, folded together at the end.
#if defined(__aarch64__)

#include <arm_neon.h>
#include <sys/auxv.h>

#include <cstring>

#include "kernels/qgemm_panel.h"

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif

namespace ledge::qgemm_detail {

namespace {

constexpr int kRows = 4;  // MR of the full tiles

// 16 bytes of a row of A from depth p on, as signed bytes (a - 128); past k, zeros (which
// meet W's zero padding). Never reads past the row's k-th byte.
inline int8x16_t load16(const uint8_t* row, size_t p, size_t k) {
  uint8x16_t v;
  if (p + 16 <= k) {
    v = vld1q_u8(row + p);
  } else {
    // 8, 4, 2 and 1 bytes as the remainder has them: fixed-size copies, where a memcpy of
    // a run-time length is a library call (on a depth of 27, as many as the tile's loads).
    uint8_t tail[16] = {};
    const size_t n = k - p;
    size_t i = 0;
    if (n & 8) {
      std::memcpy(tail + i, row + p + i, 8);
      i += 8;
    }
    if (n & 4) {
      std::memcpy(tail + i, row + p + i, 4);
      i += 4;
    }
    if (n & 2) {
      std::memcpy(tail + i, row + p + i, 2);
      i += 2;
    }
    if (n & 1) tail[i] = row[p + i];
    v = vld1q_u8(tail);
    // The zero bytes past k must stay 0 - 128 = -128 times W = 0: any value works, W is 0.
  }
  return vreinterpretq_s8_u8(veorq_u8(v, vdupq_n_u8(0x80)));
}

// Requantizes one vector of 4 columns of one row, as quant::saturate_round does.
template <class Out>
inline void store4(int32x4_t acc, int32x4_t offset, float32x4_t mult, const PanelRequant& q, Out* c,
                   size_t cols) {
  float32x4_t s = vmulq_f32(vcvtq_f32_s32(vaddq_s32(acc, offset)), mult);
  if constexpr (kFloatOut<Out>) {
    if (cols == 4) {
      vst1q_f32(c, s);
    } else {
      float row[4];
      vst1q_f32(row, s);
      std::memcpy(c, row, cols * sizeof(float));
    }
  } else {
    s = vrndnq_f32(s);  // to nearest, ties to even
    s = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(s), vceqq_f32(s, s)));  // NaN -> 0
    s = vminq_f32(vmaxq_f32(s, vdupq_n_f32(q.lo)), vdupq_n_f32(q.hi));
    int32x4_t y = vaddq_s32(vcvtq_s32_f32(s), vdupq_n_s32(q.y_zero_point));  // s is whole
    y = vminq_s32(vmaxq_s32(y, vdupq_n_s32(0)), vdupq_n_s32(255));
    const uint8x8_t bytes = vqmovn_u16(vcombine_u16(vqmovun_s32(y), vqmovun_s32(y)));
    uint8_t row[8];
    vst1_u8(row, bytes);
    std::memcpy(c, row, cols);
  }
}

// The epilogue of a tile: acc[r][v] holds columns 4v..4v+3 of row r of this half panel.
template <class Out, int MR>
inline void requantize_tile(const int32x4_t (&acc)[MR][4], const PanelRequant& q, size_t half,
                            Out* c, size_t ldc) {
  const int32x4_t shift = vdupq_n_s32(128 - q.a_zero_point);
  for (int v = 0; v < 4; ++v) {
    const size_t first = half * 16 + static_cast<size_t>(v) * 4;
    if (first >= q.width) break;
    const size_t cols = std::min<size_t>(4, q.width - first);
    int32_t bias[4] = {}, sums[4] = {};
    float mult[4] = {};
    std::memcpy(sums, q.column_sums + first, sizeof sums);  // padded to whole panels
    if (q.bias) std::memcpy(bias, q.bias + first, cols * sizeof(int32_t));
    std::memcpy(mult, q.multiplier + first, cols * sizeof(float));
    // bias + (128 - zp) * sum W, wrapping like the reference's sums.
    const int32x4_t offset = vmlaq_s32(vld1q_s32(bias), shift, vld1q_s32(sums));
    const float32x4_t m = vld1q_f32(mult);
    for (int r = 0; r < MR; ++r)
      store4<Out>(acc[r][v], offset, m, q, c + static_cast<size_t>(r) * ldc + first, cols);
  }
}

template <class Out, int MR>
__attribute__((target("arch=armv8.2-a+dotprod"))) void tile_dot(const uint8_t* a, size_t lda,
                                                                const int8_t* b, size_t k, Out* c,
                                                                size_t ldc, const PanelRequant& q,
                                                                size_t half) {
  int32x4_t acc[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) acc[r][v] = vdupq_n_s32(0);
  b += half * 64;  // the half panel's columns within each 128-byte depth step
  for (size_t p = 0; p < k; p += 16) {
    int8x16_t av[MR];
    for (int r = 0; r < MR; ++r) av[r] = load16(a + static_cast<size_t>(r) * lda, p, k);
    const size_t steps = std::min<size_t>(4, (k - p + 3) / 4);
    const int8_t* bs = b + p / 4 * 128;
#define LEDGE_DOT_STEP(S)                                                                  \
  if (S < steps) {                                                                         \
    int8x16_t bv[4];                                                                       \
    for (int v = 0; v < 4; ++v) bv[v] = vld1q_s8(bs + S * 128 + v * 16);                   \
    for (int r = 0; r < MR; ++r)                                                           \
      for (int v = 0; v < 4; ++v) acc[r][v] = vdotq_laneq_s32(acc[r][v], bv[v], av[r], S); \
  }
    LEDGE_DOT_STEP(0)
    LEDGE_DOT_STEP(1)
    LEDGE_DOT_STEP(2)
    LEDGE_DOT_STEP(3)
#undef LEDGE_DOT_STEP
  }
  requantize_tile<Out, MR>(acc, q, half, c, ldc);
}

template <class Out, int MR>
void tile_widening(const uint8_t* a, size_t lda, const int8_t* b, size_t k, Out* c, size_t ldc,
                   const PanelRequant& q, size_t half) {
  // lo[r][v]: (column 4v, products 0+1), (4v, 2+3), (4v+1, 0+1), (4v+1, 2+3); hi: 4v+2, 4v+3.
  int32x4_t lo[MR][4], hi[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) lo[r][v] = hi[r][v] = vdupq_n_s32(0);
  b += half * 64;
  for (size_t p = 0; p < k; p += 16) {
    int8x16_t av[MR];
    for (int r = 0; r < MR; ++r) av[r] = load16(a + static_cast<size_t>(r) * lda, p, k);
    const size_t steps = std::min<size_t>(4, (k - p + 3) / 4);
    for (size_t s = 0; s < steps; ++s) {
      const int8_t* bs = b + (p / 4 + s) * 128;
      int8x16_t bv[4];
      for (int v = 0; v < 4; ++v) bv[v] = vld1q_s8(bs + v * 16);
      for (int r = 0; r < MR; ++r) {
        // The step's 4 bytes of the row, repeated for each column of a vector.
        const int8x16_t a4 =
            vreinterpretq_s8_s32(vdupq_n_s32(vgetq_lane_s32(vreinterpretq_s32_s8(av[r]), 0)));
        for (int v = 0; v < 4; ++v) {
          lo[r][v] = vpadalq_s16(lo[r][v], vmull_s8(vget_low_s8(bv[v]), vget_low_s8(a4)));
          hi[r][v] = vpadalq_s16(hi[r][v], vmull_high_s8(bv[v], a4));
        }
        av[r] = vextq_s8(av[r], av[r], 4);  // the next step's 4 bytes to lane 0
      }
    }
  }
  int32x4_t acc[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) acc[r][v] = vpaddq_s32(lo[r][v], hi[r][v]);
  requantize_tile<Out, MR>(acc, q, half, c, ldc);
}

template <class Out, int MR>
using TileFn = void (*)(const uint8_t*, size_t, const int8_t*, size_t, Out*, size_t,
                        const PanelRequant&, size_t);

// Rows in tiles of kRows (then 3, 2, 1), each over the panels of [j0, j1) in halves.
template <class Out, template <class, int> class Tile>
void range(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w, const QGemmRequant& r,
           size_t j0, size_t j1, Out* c, size_t ldc) {
  auto panels = [&](auto tile, size_t i) {
    for (size_t j = j0; j < j1; j += kQGemmPanel) {
      const PanelRequant q = panel_requant(w, r, j, j1);
      const int8_t* b = w.panels + j * w.k4;
      tile(a + i * lda, lda, b, w.k, c + i * ldc + j, ldc, q, 0);
      if (q.width > 16) tile(a + i * lda, lda, b, w.k, c + i * ldc + j, ldc, q, 1);
    }
  };
  size_t i = 0;
  for (; i + kRows <= m; i += kRows) panels(Tile<Out, kRows>::fn, i);
  switch (m - i) {
    case 3:
      return panels(Tile<Out, 3>::fn, i);
    case 2:
      return panels(Tile<Out, 2>::fn, i);
    case 1:
      return panels(Tile<Out, 1>::fn, i);
    default:
      return;
  }
}

template <class Out, int MR>
struct DotTile {
  static constexpr TileFn<Out, MR> fn = tile_dot<Out, MR>;
};
template <class Out, int MR>
struct WideningTile {
  static constexpr TileFn<Out, MR> fn = tile_widening<Out, MR>;
};

}  // namespace

bool has_neon_dot() { return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; }

template <class Out>
void range_neon_dot(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                    const QGemmRequant& r, size_t j0, size_t j1, Out* c, size_t ldc) {
  range<Out, DotTile>(m, a, lda, w, r, j0, j1, c, ldc);
}

template <class Out>
void range_neon(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                const QGemmRequant& r, size_t j0, size_t j1, Out* c, size_t ldc) {
  range<Out, WideningTile>(m, a, lda, w, r, j0, j1, c, ldc);
}

template void range_neon_dot<uint8_t>(size_t, const uint8_t*, size_t, const QGemmWeights&,
                                      const QGemmRequant&, size_t, size_t, uint8_t*, size_t);
template void range_neon_dot<float>(size_t, const uint8_t*, size_t, const QGemmWeights&,
                                    const QGemmRequant&, size_t, size_t, float*, size_t);
template void range_neon<uint8_t>(size_t, const uint8_t*, size_t, const QGemmWeights&,
                                  const QGemmRequant&, size_t, size_t, uint8_t*, size_t);
template void range_neon<float>(size_t, const uint8_t*, size_t, const QGemmWeights&,
                                const QGemmRequant&, size_t, size_t, float*, size_t);

}  // namespace ledge::qgemm_detail

#endif  // __aarch64__
