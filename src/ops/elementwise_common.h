// Shared pieces of the element-wise operator family: unary math, activations, arithmetic,
// comparisons, logic, Where, Cast.
//
// Static inference may see inputs of unknown element type (values from an enclosing graph
// scope): the checks here accept DType::kUndefined and leave the output type unknown.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/helpers.h"

namespace ledge {

inline bool dtype_in(DType t, TypeSet s) {
  const unsigned m = static_cast<unsigned>(s);
  if (dtype_is_float(t)) return (m & 1u) != 0;
  if (dtype_is_signed_int(t)) return (m & 2u) != 0;
  if (dtype_is_unsigned_int(t)) return (m & 4u) != 0;
  if (t == DType::kBool) return (m & 8u) != 0;
  return false;
}

// Input i must be present and, when its element type is known, of a type in `s`.
inline Status require_typed(const InferContext& c, size_t i, TypeSet s) {
  LEDGE_TRY(require_input(c, i));
  const DType t = c.input_dtype(i);
  if (t != DType::kUndefined && !dtype_in(t, s))
    return c.fail_unsupported("input " + std::to_string(i) + " has element type " +
                              std::string(dtype_name(t)) + ", which this operator does not take");
  return Status();
}

// infer for a unary element-wise operator: output 0 has the shape of input 0 and element
// type `out` (default: that of input 0).
inline Status infer_unary(InferContext& c, TypeSet s, DType out = DType::kUndefined) {
  LEDGE_TRY(require_typed(c, 0, s));
  const TensorType& in = c.input_type(0);
  const DType t = in.dtype == DType::kUndefined ? DType::kUndefined
                  : out == DType::kUndefined    ? in.dtype
                                                : out;
  return c.set_output(0, TensorType{t, in.shape});
}

// The element type shared by the listed inputs (absent optional inputs skipped): each must
// have a type in `s`, and all known types must agree. kUndefined when none is known.
// The listed inputs are required unless `optional` is set (Clip's min and max).
inline Expected<DType> common_type(const InferContext& c, const std::vector<size_t>& inputs,
                                   TypeSet s, bool optional = false) {
  DType common = DType::kUndefined;
  for (size_t i : inputs) {
    if (!c.has_input(i)) {
      if (optional) continue;
      return c.fail("missing required input " + std::to_string(i));
    }
    LEDGE_TRY(require_typed(c, i, s));
    const DType t = c.input_dtype(i);
    if (t == DType::kUndefined) continue;
    if (common == DType::kUndefined)
      common = t;
    else if (t != common)
      return c.fail("inputs have different element types (" + std::string(dtype_name(common)) +
                    " and " + std::string(dtype_name(t)) + ")");
  }
  return common;
}

// Before opset 7, binary operators (Add, Sub, Mul, Div, Pow, And, Or, Xor, Equal, Greater,
// Less) broadcast B onto A only when broadcast=1, with B's dimensions placed at `axis` of A
// (default: A's trailing dimensions, which is what numpy broadcasting does anyway).
inline bool legacy_axis_broadcast(const NodeContext& c) {
  return c.opset() < 7 && c.attr_int("broadcast", 0) != 0 && c.has_attr("axis");
}

// B's shape padded with trailing 1s so that numpy broadcasting aligns it at `axis` of A.
inline Expected<std::vector<int64_t>> align_b_at_axis(const NodeContext& c, size_t rank_a,
                                                      const std::vector<int64_t>& b) {
  const int64_t ra = static_cast<int64_t>(rank_a);
  const int64_t rb = static_cast<int64_t>(b.size());
  int64_t axis = c.attr_int("axis", 0);
  if (axis < 0) axis += ra;
  if (axis < 0 || axis > ra - rb)
    return c.fail("legacy broadcast axis " + std::to_string(c.attr_int("axis", 0)) +
                  " does not fit B of rank " + std::to_string(rb) + " into A of rank " +
                  std::to_string(ra));
  std::vector<int64_t> out = b;
  out.resize(static_cast<size_t>(ra - axis), 1);
  return out;
}

// Sets output 0 to element type `out` and the broadcast shape of the listed inputs (absent
// optional inputs skipped). With `legacy` set (binary operators with the old `broadcast` and
// `axis` attributes), input 1 is aligned at `axis` first.
inline Status set_broadcast_output(InferContext& c, const std::vector<size_t>& inputs, DType out,
                                   bool legacy = false) {
  std::vector<TensorType> types;
  for (size_t i : inputs)
    if (c.has_input(i)) types.push_back(c.input_type(i));
  if (types.empty()) return c.fail("needs at least one input");
  if (legacy && types.size() == 2 && legacy_axis_broadcast(c)) {
    if (!types[0].shape || !types[1].shape) return c.set_output_unknown(0, out);
    LEDGE_ASSIGN(types[1].shape, align_b_at_axis(c, types[0].shape->size(), *types[1].shape));
  }
  std::vector<const TensorType*> ptrs;
  for (const auto& t : types) ptrs.push_back(&t);
  auto shape = broadcast_types(ptrs);
  if (!shape) return c.fail(shape.error().message());
  return c.set_output(0, TensorType{out, std::move(*shape)});
}

// Input 1's shape as used for broadcasting at run time (see legacy_axis_broadcast).
inline Expected<Shape> effective_b_shape(const NodeContext& c, const Shape& a, const Shape& b) {
  if (!legacy_axis_broadcast(c)) return b;
  return align_b_at_axis(c, a.size(), b);
}

// y[i] = f(a[.], b[.]) over the broadcast shape of y, with a and b read as shapes sa and sb.
template <class TA, class TB, class TR, class F>
void broadcast_apply2(const Tensor& a, const Shape& sa, const Tensor& b, const Shape& sb, Tensor& y,
                      F&& f) {
  const TA* pa = a.data<TA>();
  const TB* pb = b.data<TB>();
  TR* py = y.data<TR>();
  for_each_broadcast<2>(y.shape(), {&sa, &sb}, [&](int64_t i, const std::array<int64_t, 2>& o) {
    py[i] = f(pa[o[0]], pb[o[1]]);
  });
}

// Conversion of a finite or non-finite double to an integer type without undefined
// behaviour: truncates toward zero, saturates out-of-range values, and maps NaN to 0.
template <class To>
To saturate_cast(double v) {
  static_assert(std::is_integral_v<To>);
  if constexpr (std::is_same_v<To, bool>) {
    return v != 0;
  } else {
    if (std::isnan(v)) return To(0);
    const double t = std::trunc(v);
    // 2^digits is exactly representable and is one past the largest value of To.
    const double limit = std::ldexp(1.0, std::numeric_limits<To>::digits);
    if (t >= limit) return std::numeric_limits<To>::max();
    if (t < static_cast<double>(std::numeric_limits<To>::lowest()))
      return std::numeric_limits<To>::lowest();
    return static_cast<To>(t);
  }
}

// Integer arithmetic that wraps around like two's complement hardware instead of invoking
// undefined behaviour on overflow (and avoids int promotion overflow for 16-bit types).
template <class T>
T wrap_add(T a, T b) {
  return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
template <class T>
T wrap_sub(T a, T b) {
  return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
template <class T>
T wrap_mul(T a, T b) {
  return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

// NaN-propagating max/min, like numpy's maximum/minimum.
template <class C>
C nan_max(C a, C b) {
  if constexpr (std::is_floating_point_v<C>)
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<C>::quiet_NaN();
  return a < b ? b : a;
}
template <class C>
C nan_min(C a, C b) {
  if constexpr (std::is_floating_point_v<C>)
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<C>::quiet_NaN();
  return b < a ? b : a;
}

// Output 0 = f(a, b) with broadcasting (and the legacy axis alignment of b), for inputs of
// the same type T in `set`; f returns T or bool, which must be output 0's element type.
template <TypeSet set, class F>
Status binary_op(KernelContext& c, F&& f) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  LEDGE_ASSIGN(const Shape sb, effective_b_shape(c, a.shape(), b.shape()));
  Tensor& y = c.output(0);
  return dispatch<set>(a.dtype(), [&]<class T>() -> Status {
    using R = decltype(f(T{}, T{}));
    if (b.dtype() != a.dtype() || y.dtype() != dtype_of<R>())
      return internal_error("binary_op: unexpected element types");
    broadcast_apply2<T, T, R>(a, a.shape(), b, sb, y, f);
    return Status();
  });
}

// Rounds a double to T (a floating-point type) once: for the 16-bit types, converting through
// float with round-to-odd avoids the double rounding of double -> float -> half.
template <class T>
T narrow_float(double d) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    float f = static_cast<float>(d);
    if (std::isfinite(f) && static_cast<double>(f) != d) {
      uint32_t u = float_bits(f);
      if (std::fabs(static_cast<double>(f)) > std::fabs(d)) --u;  // toward zero
      f = bits_float(u | 1u);  // then make it odd: a sticky bit for the final rounding
    }
    return T(f);
  } else {
    return static_cast<T>(d);
  }
}

// Any element value as double (16-bit floats through float).
template <class T>
double to_double(T x) {
  return static_cast<double>(static_cast<compute_t<T>>(x));
}

}  // namespace ledge
