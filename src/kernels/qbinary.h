// What ledge.QAdd and ledge.QMul share (qadd.cpp, qmul.cpp): their per-tensor parameters, read
// from the constant inputs, and the last step of the QDQ float arithmetic both are defined by
// (src/ops/q_add.cpp): divide by the output scale, round half to even, clamp, add the zero
// point, written so that the compiler vectorizes the loops around it.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "kernels/fast_kernel.h"

namespace ledge {

struct QBinaryParams {
  float sa, sb, sy;
  int32_t za, zb, zy;
};

// Inputs a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point: the six
// parameters when all are constant scalars (float scales), else nothing.
inline std::optional<QBinaryParams> read_qbinary_params(const PrepareContext& c) {
  for (size_t i : {1, 2, 4, 5, 6, 7})
    if (!c.has_input(i) || !c.constant(i) || c.constant(i)->numel() != 1) return std::nullopt;
  for (size_t i : {1, 4, 6})
    if (c.constant(i)->dtype() != DType::kFloat32) return std::nullopt;
  auto f = [&](size_t i) { return c.constant(i)->data<float>()[0]; };
  auto z = [&](size_t i) { return static_cast<int32_t>(c.constant(i)->as_int64(0)); };
  return QBinaryParams{f(1), f(4), f(6), z(2), z(5), z(7)};
}

// The clamp of Q's range around the output zero point, in the float domain.
template <class Q>
struct QuantizeBounds {
  explicit QuantizeBounds(int32_t zy)
      : lo(static_cast<float>(std::numeric_limits<Q>::min() - zy)),
        hi(static_cast<float>(std::numeric_limits<Q>::max() - zy)),
        zy(zy) {}
  float lo, hi;
  int32_t zy;
};

// saturate_round(v / sy) + zy, as the reference computes it.
template <class Q>
inline __attribute__((always_inline)) Q quantize_value(float v, float sy,
                                                       const QuantizeBounds<Q>& b) {
  // nearbyint rounds half to even in the default rounding mode, which ledge never changes.
  float r = std::nearbyint(v / sy);
  r = r == r ? r : 0.f;  // NaN: the zero point
  r = r < b.lo ? b.lo : r;
  r = r > b.hi ? b.hi : r;
  return static_cast<Q>(static_cast<int32_t>(r) + b.zy);
}

}  // namespace ledge
