// What qgemm's vector paths share (src/kernels/qgemm.cpp for x86-64, qgemm_neon.cpp for
// aarch64): the form of a path over a range of columns, and the requantization of a panel.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/qgemm.h"

namespace ledge::qgemm_detail {

// Out is the type of C: uint8_t (requantized) or float (the float-output form); the two
// share everything up to the epilogue.
template <class Out>
constexpr bool kFloatOut = std::is_same_v<Out, float>;

// Every path works on a range of columns [j0, j1), j0 at a panel boundary, so that
// qgemm_parallel can hand out blocks of panels. a and c point at row 0, column 0.
template <class Out>
using RangeFn = void (*)(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                         const QGemmRequant& r, size_t j0, size_t j1, Out* c, size_t ldc);

// What a tile needs to requantize one panel (or part of one): `width` columns from
// column_sums, bias and multiplier, which point at the panel's first column.
struct PanelRequant {
  const int32_t* column_sums;  // padded to whole panels
  const int32_t* bias;         // null, or `width` values
  const float* multiplier;     // `width` values
  size_t width;                // 1..32
  int32_t a_zero_point, y_zero_point;
  float lo, hi;  // the clamp of saturate_round: [0 - y_zero_point, 255 - y_zero_point]
  bool finite;   // QGemmRequant::multipliers_finite
};

inline PanelRequant panel_requant(const QGemmWeights& w, const QGemmRequant& r, size_t j,
                                  size_t j1) {
  return {w.column_sums + j,
          r.bias ? r.bias + j : nullptr,
          r.multiplier + j,
          std::min(kQGemmPanel, j1 - j),
          r.a_zero_point,
          r.y_zero_point,
          static_cast<float>(0 - r.y_zero_point),
          static_cast<float>(255 - r.y_zero_point),
          r.multipliers_finite};
}

#if defined(__aarch64__)
// The NEON paths: with the dot-product instructions (ARMv8.2 and later: Cortex-A55/A76 and
// newer, Raspberry Pi 5, Jetson Orin), and with widening multiplies for any ARMv8 CPU
// (Cortex-A53/A72: Raspberry Pi 3 and 4, Jetson Nano).
bool has_neon_dot();
template <class Out>
void range_neon_dot(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                    const QGemmRequant& r, size_t j0, size_t j1, Out* c, size_t ldc);
template <class Out>
void range_neon(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                const QGemmRequant& r, size_t j0, size_t j1, Out* c, size_t ldc);
#endif

}  // namespace ledge::qgemm_detail
