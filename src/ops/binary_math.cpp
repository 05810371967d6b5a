// Element-wise binary arithmetic with broadcasting: Add, BitShift, Div, Mod, Mul, Pow, Sub.
//
// Integer arithmetic wraps around on overflow (two's complement) instead of being undefined;
// integer division and modulo by zero are errors. Before opset 7 these operators took the
// `broadcast` and `axis` attributes (see legacy_axis_broadcast).
#include "ops/elementwise_common.h"

namespace ledge {
namespace {

constexpr TypeSet kNumeric = TypeSet::kNumeric;

Status infer_arith(InferContext& c) {
  LEDGE_ASSIGN(DType t, common_type(c, {0, 1}, kNumeric));
  return set_broadcast_output(c, {0, 1}, t, /*legacy=*/true);
}

Status run_add(KernelContext& c) {
  return binary_op<kNumeric>(c, []<class T>(T a, T b) -> T {
    if constexpr (std::is_integral_v<T>)
      return wrap_add(a, b);
    else
      return static_cast<T>(static_cast<compute_t<T>>(a) + static_cast<compute_t<T>>(b));
  });
}

Status run_sub(KernelContext& c) {
  return binary_op<kNumeric>(c, []<class T>(T a, T b) -> T {
    if constexpr (std::is_integral_v<T>)
      return wrap_sub(a, b);
    else
      return static_cast<T>(static_cast<compute_t<T>>(a) - static_cast<compute_t<T>>(b));
  });
}

Status run_mul(KernelContext& c) {
  return binary_op<kNumeric>(c, []<class T>(T a, T b) -> T {
    if constexpr (std::is_integral_v<T>)
      return wrap_mul(a, b);
    else
      return static_cast<T>(static_cast<compute_t<T>>(a) * static_cast<compute_t<T>>(b));
  });
}

// Integer division truncates toward zero, as in C.
Status run_div(KernelContext& c) {
  bool by_zero = false;
  LEDGE_TRY(binary_op<kNumeric>(c, [&]<class T>(T a, T b) -> T {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) {
        by_zero = true;
        return T(0);
      }
      if constexpr (std::is_signed_v<T>)
        if (b == -1) return wrap_sub(T(0), a);  // INT_MIN / -1 overflows (and traps on x86)
      return static_cast<T>(a / b);
    } else {
      return static_cast<T>(static_cast<compute_t<T>>(a) / static_cast<compute_t<T>>(b));
    }
  }));
  if (by_zero) return c.fail("integer division by zero");
  return Status();
}

// Mod: fmod=1 gives C's fmod (the sign of the dividend); fmod=0, integers only, gives
// Python's % (the sign of the divisor).
Status infer_mod(InferContext& c) {
  LEDGE_ASSIGN(DType t, common_type(c, {0, 1}, kNumeric));
  if (c.attr_int("fmod", 0) == 0 && dtype_is_float(t))
    return c.fail("fmod must be 1 for floating-point inputs");
  return set_broadcast_output(c, {0, 1}, t);
}

Status run_mod(KernelContext& c) {
  const bool fmod = c.attr_int("fmod", 0) != 0;
  bool by_zero = false;
  LEDGE_TRY(binary_op<kNumeric>(c, [&]<class T>(T a, T b) -> T {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) {
        by_zero = true;
        return T(0);
      }
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return T(0);  // INT_MIN % -1 traps on x86
        T r = static_cast<T>(a % b);
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      } else {
        return static_cast<T>(a % b);
      }
    } else {
      return static_cast<T>(std::fmod(static_cast<compute_t<T>>(a), static_cast<compute_t<T>>(b)));
    }
  }));
  if (by_zero) return c.fail("integer modulo by zero");
  return Status();
}

Status infer_bitshift(InferContext& c) {
  const std::string dir = c.attr_string("direction");
  if (dir != "LEFT" && dir != "RIGHT")
    return c.fail("direction must be LEFT or RIGHT, got '" + dir + "'");
  LEDGE_ASSIGN(DType t, common_type(c, {0, 1}, TypeSet::kUnsigned));
  return set_broadcast_output(c, {0, 1}, t);
}

Status run_bitshift(KernelContext& c) {
  const bool left = c.attr_string("direction") == "LEFT";
  return binary_op<TypeSet::kUnsigned>(c, [&]<class T>(T a, T b) -> T {
    // Shifting by the width or more is undefined in C++; the bits are all shifted out.
    if (b >= std::numeric_limits<T>::digits) return T(0);
    return static_cast<T>(left ? a << b : a >> b);
  });
}

// Pow ----------------------------------------------------------------------------------
// The exponent may have another type than the base (opset 12); the result has the base's.

template <class TA, class TB>
TA int_pow(TA base, TB e) {
  if constexpr (std::is_signed_v<TB>) {
    if (e < 0) {
      // What truncating 1 / base^-e gives; numpy refuses, C's pow would give inf for 0.
      if (base == 1) return TA(1);
      if constexpr (std::is_signed_v<TA>)
        if (base == -1) return e % 2 ? TA(-1) : TA(1);
      return TA(0);
    }
  }
  uint64_t r = 1, b = static_cast<uint64_t>(base), n = static_cast<uint64_t>(e);
  for (; n; n >>= 1, b *= b)
    if (n & 1) r *= b;
  return static_cast<TA>(r);  // wraps like repeated multiplication
}

template <class TA, class TB>
TA pow_value(TA x, TB e) {
  if constexpr (std::is_integral_v<TA> && std::is_integral_v<TB>) {
    return int_pow(x, e);
  } else {
    const double r = std::pow(to_double(x), to_double(e));
    if constexpr (std::is_integral_v<TA>)
      return saturate_cast<TA>(r);
    else
      return narrow_float<TA>(r);
  }
}

Status infer_pow(InferContext& c) {
  LEDGE_TRY(require_typed(c, 0, kNumeric));
  LEDGE_TRY(require_typed(c, 1, kNumeric));
  return set_broadcast_output(c, {0, 1}, c.input_dtype(0), /*legacy=*/true);
}

Status run_pow(KernelContext& c) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  LEDGE_ASSIGN(const Shape sb, effective_b_shape(c, a.shape(), b.shape()));
  return dispatch<kNumeric>(a.dtype(), [&]<class TA>() {
    return dispatch<kNumeric>(b.dtype(), [&]<class TB>() {
      broadcast_apply2<TA, TB, TA>(a, a.shape(), b, sb, c.output(0), pow_value<TA, TB>);
    });
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Add, ledge::infer_arith, ledge::run_add)
LEDGE_DEFINE_OP(BitShift, ledge::infer_bitshift, ledge::run_bitshift)
LEDGE_DEFINE_OP(Div, ledge::infer_arith, ledge::run_div)
LEDGE_DEFINE_OP(Mod, ledge::infer_mod, ledge::run_mod)
LEDGE_DEFINE_OP(Mul, ledge::infer_arith, ledge::run_mul)
LEDGE_DEFINE_OP(Pow, ledge::infer_pow, ledge::run_pow)
LEDGE_DEFINE_OP(Sub, ledge::infer_arith, ledge::run_sub)
