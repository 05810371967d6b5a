// Element-wise unary math: Abs, Acos, Acosh, Asin, Asinh, Atan, Atanh, Ceil, Cos, Cosh, Erf,
// Exp, Floor, IsInf, IsNaN, Log, Neg, Not, Reciprocal, Round, Sign, Sin, Sinh, Sqrt, Tan, Tanh.
//
// 16-bit floats are computed in float and rounded back, as numpy does.
#include "ops/elementwise_common.h"

namespace ledge {
namespace {

constexpr TypeSet kFloat = TypeSet::kFloat;

// Output 0 = f(x) computed in compute_t<T> for the floating-point types.
template <class F>
Status float_map(KernelContext& c, F f) {
  return unary_map<kFloat>(c, [&]<class T>(T x) { return f(static_cast<compute_t<T>>(x)); });
}

// Output 0 (bool) = f(x) for the floating-point types.
template <class F>
Status float_predicate(KernelContext& c, F f) {
  const Tensor& x = c.input(0);
  bool* py = c.output(0).data<bool>();
  return dispatch<kFloat>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) py[i] = f(static_cast<compute_t<T>>(px[i]));
  });
}

// Rounds to the nearest integer, ties to even (std::round rounds ties away from zero).
template <class C>
C round_half_even(C x) {
  if (std::fabs(x - std::trunc(x)) == C(0.5)) return C(2) * std::round(x / C(2));
  return std::round(x);
}

Status infer_float(InferContext& c) { return infer_unary(c, kFloat); }
Status infer_numeric(InferContext& c) { return infer_unary(c, TypeSet::kNumeric); }
Status infer_float_signed(InferContext& c) { return infer_unary(c, kFloat | TypeSet::kSigned); }
Status infer_bool(InferContext& c) { return infer_unary(c, TypeSet::kBool); }
Status infer_float_to_bool(InferContext& c) { return infer_unary(c, kFloat, DType::kBool); }

Status run_abs(KernelContext& c) {
  return unary_map(c, []<class T>(T x) -> T {
    if constexpr (std::is_unsigned_v<T>)
      return x;
    else if constexpr (std::is_integral_v<T>)
      return x < 0 ? wrap_sub(T(0), x) : x;  // abs(INT_MIN) wraps to INT_MIN
    else
      return static_cast<T>(std::fabs(static_cast<compute_t<T>>(x)));
  });
}

Status run_neg(KernelContext& c) {
  return unary_map<kFloat | TypeSet::kSigned>(c, []<class T>(T x) -> T {
    if constexpr (std::is_integral_v<T>)
      return wrap_sub(T(0), x);
    else
      return static_cast<T>(-static_cast<compute_t<T>>(x));
  });
}

Status run_sign(KernelContext& c) {
  return unary_map(c, []<class T>(T x) -> T {
    using C = compute_t<T>;
    const C v = static_cast<C>(x);
    if (v > C(0)) return static_cast<T>(C(1));
    if constexpr (std::is_signed_v<C>)
      if (v < C(0)) return static_cast<T>(C(-1));
    return x;  // zero, or NaN, which numpy's sign propagates
  });
}

Status run_erf(KernelContext& c) {
  return unary_map(c, []<class T>(T x) -> T {
    if constexpr (std::is_integral_v<T>)
      return saturate_cast<T>(std::erf(static_cast<double>(x)));
    else
      return static_cast<T>(std::erf(static_cast<compute_t<T>>(x)));
  });
}

Status run_not(KernelContext& c) {
  return unary_map<TypeSet::kBool>(c, [](bool x) { return !x; });
}

Status run_isnan(KernelContext& c) {
  return float_predicate(c, [](auto x) { return std::isnan(x); });
}

Status run_isinf(KernelContext& c) {
  const bool pos = c.attr_int("detect_positive", 1) != 0;
  const bool neg = c.attr_int("detect_negative", 1) != 0;
  return float_predicate(c, [&](auto x) { return std::isinf(x) && (x > 0 ? pos : neg); });
}

// clang-format off
Status run_acos(KernelContext& c) { return float_map(c, [](auto x) { return std::acos(x); }); }
Status run_acosh(KernelContext& c) { return float_map(c, [](auto x) { return std::acosh(x); }); }
Status run_asin(KernelContext& c) { return float_map(c, [](auto x) { return std::asin(x); }); }
Status run_asinh(KernelContext& c) { return float_map(c, [](auto x) { return std::asinh(x); }); }
Status run_atan(KernelContext& c) { return float_map(c, [](auto x) { return std::atan(x); }); }
Status run_atanh(KernelContext& c) { return float_map(c, [](auto x) { return std::atanh(x); }); }
Status run_ceil(KernelContext& c) { return float_map(c, [](auto x) { return std::ceil(x); }); }
Status run_cos(KernelContext& c) { return float_map(c, [](auto x) { return std::cos(x); }); }
Status run_cosh(KernelContext& c) { return float_map(c, [](auto x) { return std::cosh(x); }); }
Status run_exp(KernelContext& c) { return float_map(c, [](auto x) { return std::exp(x); }); }
Status run_floor(KernelContext& c) { return float_map(c, [](auto x) { return std::floor(x); }); }
Status run_log(KernelContext& c) { return float_map(c, [](auto x) { return std::log(x); }); }
Status run_reciprocal(KernelContext& c) {
  return float_map(c, []<class C>(C x) { return C(1) / x; });
}
Status run_round(KernelContext& c) { return float_map(c, [](auto x) { return round_half_even(x); }); }
Status run_sin(KernelContext& c) { return float_map(c, [](auto x) { return std::sin(x); }); }
Status run_sinh(KernelContext& c) { return float_map(c, [](auto x) { return std::sinh(x); }); }
Status run_sqrt(KernelContext& c) { return float_map(c, [](auto x) { return std::sqrt(x); }); }
Status run_tan(KernelContext& c) { return float_map(c, [](auto x) { return std::tan(x); }); }
Status run_tanh(KernelContext& c) { return float_map(c, [](auto x) { return std::tanh(x); }); }
// clang-format on

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Abs, ledge::infer_numeric, ledge::run_abs)
LEDGE_DEFINE_OP(Acos, ledge::infer_float, ledge::run_acos)
LEDGE_DEFINE_OP(Acosh, ledge::infer_float, ledge::run_acosh)
LEDGE_DEFINE_OP(Asin, ledge::infer_float, ledge::run_asin)
LEDGE_DEFINE_OP(Asinh, ledge::infer_float, ledge::run_asinh)
LEDGE_DEFINE_OP(Atan, ledge::infer_float, ledge::run_atan)
LEDGE_DEFINE_OP(Atanh, ledge::infer_float, ledge::run_atanh)
LEDGE_DEFINE_OP(Ceil, ledge::infer_float, ledge::run_ceil)
LEDGE_DEFINE_OP(Cos, ledge::infer_float, ledge::run_cos)
LEDGE_DEFINE_OP(Cosh, ledge::infer_float, ledge::run_cosh)
LEDGE_DEFINE_OP(Erf, ledge::infer_numeric, ledge::run_erf)
LEDGE_DEFINE_OP(Exp, ledge::infer_float, ledge::run_exp)
LEDGE_DEFINE_OP(Floor, ledge::infer_float, ledge::run_floor)
LEDGE_DEFINE_OP(IsInf, ledge::infer_float_to_bool, ledge::run_isinf)
LEDGE_DEFINE_OP(IsNaN, ledge::infer_float_to_bool, ledge::run_isnan)
LEDGE_DEFINE_OP(Log, ledge::infer_float, ledge::run_log)
LEDGE_DEFINE_OP(Neg, ledge::infer_float_signed, ledge::run_neg)
LEDGE_DEFINE_OP(Not, ledge::infer_bool, ledge::run_not)
LEDGE_DEFINE_OP(Reciprocal, ledge::infer_float, ledge::run_reciprocal)
LEDGE_DEFINE_OP(Round, ledge::infer_float, ledge::run_round)
LEDGE_DEFINE_OP(Sign, ledge::infer_numeric, ledge::run_sign)
LEDGE_DEFINE_OP(Sin, ledge::infer_float, ledge::run_sin)
LEDGE_DEFINE_OP(Sinh, ledge::infer_float, ledge::run_sinh)
LEDGE_DEFINE_OP(Sqrt, ledge::infer_float, ledge::run_sqrt)
LEDGE_DEFINE_OP(Tan, ledge::infer_float, ledge::run_tan)
LEDGE_DEFINE_OP(Tanh, ledge::infer_float, ledge::run_tanh)
