// Cast (to the type named by `to`) and CastLike (to the type of input 1), between all numeric
// types and bool. Strings are not supported.
//
// Float to integer conversions truncate toward zero and saturate (NaN gives 0) instead of
// invoking C++'s undefined behaviour; conversions to float16/bfloat16 round once.
#include <algorithm>
#include <cctype>

#include "ops/elementwise_common.h"

namespace ledge {
namespace {

template <class To, class From>
To convert(From x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (std::is_same_v<From, bool>) {
    return convert<To>(static_cast<uint8_t>(x ? 1 : 0));
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<compute_t<From>>(x) != compute_t<From>(0);
  } else if constexpr (is_floating_v<To>) {
    if constexpr (std::is_same_v<To, float> || std::is_same_v<To, double>)
      return static_cast<To>(static_cast<compute_t<From>>(x));
    else if constexpr (std::is_same_v<From, float> || std::is_same_v<From, Float16> ||
                       std::is_same_v<From, BFloat16>)
      return To(static_cast<float>(x));  // exact in float, so rounded once
    else
      return narrow_float<To>(static_cast<double>(x));
  } else if constexpr (is_floating_v<From>) {
    return saturate_cast<To>(to_double(x));
  } else {
    return static_cast<To>(x);  // integer to integer wraps (two's complement, C++20)
  }
}

Status cast_tensor(const Tensor& x, Tensor& y) {
  return dispatch(x.dtype(), [&]<class From>() {
    return dispatch(y.dtype(), [&]<class To>() {
      const From* px = x.data<From>();
      To* py = y.data<To>();
      for (int64_t i = 0; i < x.numel(); ++i) py[i] = convert<To>(px[i]);
    });
  });
}

// Cast-1 names the type as a string ("FLOAT"); later versions use TensorProto's number.
Expected<DType> target_type(const InferContext& c) {
  const auto it = c.node().attributes.find("to");
  if (it == c.node().attributes.end()) return c.fail("missing attribute 'to'");
  if (const auto* name = std::get_if<std::string>(&it->second)) {
    std::string n = *name;
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    static const std::pair<const char*, DType> kNames[] = {
        {"FLOAT", DType::kFloat32},     {"UINT8", DType::kUInt8},   {"INT8", DType::kInt8},
        {"UINT16", DType::kUInt16},     {"INT16", DType::kInt16},   {"INT32", DType::kInt32},
        {"INT64", DType::kInt64},       {"BOOL", DType::kBool},     {"FLOAT16", DType::kFloat16},
        {"DOUBLE", DType::kFloat64},    {"UINT32", DType::kUInt32}, {"UINT64", DType::kUInt64},
        {"BFLOAT16", DType::kBFloat16}, {"STRING", DType::kString}};
    for (const auto& [k, t] : kNames)
      if (n == k) return t;
    return c.fail_unsupported("cannot cast to '" + *name + "'");
  }
  const int64_t to = c.attr_int("to", 0);
  const DType t = static_cast<DType>(to);
  if (to == static_cast<int64_t>(DType::kString) || (to >= 0 && to < 32 && dtype_is_storable(t)))
    return t;
  return c.fail_unsupported("cannot cast to element type " + std::to_string(to));
}

Status check_castable(const InferContext& c, DType from, DType to) {
  if (from == DType::kString || to == DType::kString)
    return c.fail_unsupported("casts from or to string are not supported");
  return Status();
}

Status infer_cast(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_ASSIGN(DType to, target_type(c));
  LEDGE_TRY(check_castable(c, c.input_dtype(0), to));
  return c.set_output(0, TensorType{to, c.input_type(0).shape});
}

Status infer_cast_like(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1, "target_type"));
  const DType to = c.input_dtype(1);
  LEDGE_TRY(check_castable(c, c.input_dtype(0), to));
  return c.set_output(0, TensorType{to, c.input_type(0).shape});
}

Status run_cast(KernelContext& c) { return cast_tensor(c.input(0), c.output(0)); }

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Cast, ledge::infer_cast, ledge::run_cast)
LEDGE_DEFINE_OP(CastLike, ledge::infer_cast_like, ledge::run_cast)
