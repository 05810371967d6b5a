// The reduction attribute shared by ScatterElements and ScatterND.
#pragma once

#include "ops/tensor_common.h"

namespace ledge {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

inline Expected<Reduction> scatter_reduction(const NodeContext& c) {
  const std::string r = c.attr_string("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  return c.fail("unknown reduction '" + r + "'");
}

// Combines an existing element with an update.
template <class T>
T combine(Reduction r, T old, T update) {
  if constexpr (std::is_same_v<T, bool>) {
    // bool arithmetic as numpy does it: add is or, mul is and.
    switch (r) {
      case Reduction::kAdd:
      case Reduction::kMax:
        return old || update;
      case Reduction::kMul:
      case Reduction::kMin:
        return old && update;
      default:
        return update;
    }
  } else {
    using C = compute_t<T>;
    const C a = static_cast<C>(old), b = static_cast<C>(update);
    switch (r) {
      case Reduction::kAdd:
        return wrapping_add(old, update);
      case Reduction::kMul:
        return wrapping_mul(old, update);
      case Reduction::kMax:
        return static_cast<T>(a < b ? b : a);
      case Reduction::kMin:
        return static_cast<T>(b < a ? b : a);
      default:
        return update;
    }
  }
}

}  // namespace ledge
