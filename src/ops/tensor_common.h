// Shared pieces of the tensor-manipulation operators (Reshape, Slice, Gather, Pad, ...):
// reading shape-like inputs, element-size dispatch for pure data movement, index checks.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ops/helpers.h"

namespace ledge {

// Unsigned integer of the given byte width: data-movement kernels copy elements as opaque
// words, so one instantiation serves every element type of that size.
template <size_t N>
struct word_of;
template <>
struct word_of<1> {
  using type = uint8_t;
};
template <>
struct word_of<2> {
  using type = uint16_t;
};
template <>
struct word_of<4> {
  using type = uint32_t;
};
template <>
struct word_of<8> {
  using type = uint64_t;
};

// Calls f.template operator()<W>() with W an unsigned word as wide as elements of `t`.
template <class F>
Status dispatch_word(DType t, F&& f) {
  auto call = [&]<class W>() -> Status {
    using R = decltype(f.template operator()<W>());
    if constexpr (std::is_void_v<R>) {
      f.template operator()<W>();
      return Status();
    } else {
      return f.template operator()<W>();
    }
  };
  switch (dtype_size(t)) {
    case 1:
      return call.template operator()<uint8_t>();
    case 2:
      return call.template operator()<uint16_t>();
    case 4:
      return call.template operator()<uint32_t>();
    case 8:
      return call.template operator()<uint64_t>();
    default:
      return unsupported("element type " + std::string(dtype_name(t)) + " is not supported here");
  }
}

// Requires input i to be present with an element type kernels can store (not string).
inline Status require_data_input(const InferContext& c, size_t i, const char* what = "input") {
  LEDGE_TRY(require_input(c, i, what));
  const DType t = c.input_dtype(i);
  if (t == DType::kUndefined) return Status();  // unknown statically (outer-scope value)
  if (!dtype_is_storable(t))
    return c.fail_unsupported(std::string(what) + " has element type " +
                              std::string(dtype_name(t)) + ", which is not supported");
  return Status();
}

// Requires input i, when present, to be an integer tensor (int32 or int64 unless `any_int`).
inline Status require_index_input(const InferContext& c, size_t i, const char* what,
                                  bool any_int = false) {
  if (!c.has_input(i)) return Status();
  const DType t = c.input_dtype(i);
  if (t == DType::kUndefined) return Status();
  if (t == DType::kInt64 || t == DType::kInt32 || (any_int && dtype_is_int(t))) return Status();
  return c.fail(std::string(what) + " must be an integer tensor, got " +
                std::string(dtype_name(t)));
}

// True when the value of input i is known here (a constant statically; always at run time).
// Shape and Size are evaluated statically over a tensor without data: that never counts.
inline const Tensor* known_value(const InferContext& c, size_t i) {
  const Tensor* v = c.input_value(i);
  if (!v || (v->numel() > 0 && v->raw() == nullptr)) return nullptr;
  return v;
}

// Integer contents of input i (Reshape's shape, Slice's starts, ...) when known.
inline std::optional<std::vector<int64_t>> known_ints(const InferContext& c, size_t i) {
  const Tensor* v = known_value(c, i);
  if (!v) return std::nullopt;
  return v->to_int64_vector();
}

// The static shape of input i, or null when its rank is unknown.
inline const std::vector<int64_t>* input_shape(const InferContext& c, size_t i) {
  const TensorType& t = c.input_type(i);
  return t.shape ? &*t.shape : nullptr;
}

// Number of elements of a static shape with unknown (-1) dimensions, or -1 when unknown.
inline int64_t known_numel(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  bool unknown = false;
  for (int64_t d : dims) {
    if (d == 0) return 0;
    if (d < 0)
      unknown = true;
    else if (__builtin_mul_overflow(n, d, &n))
      unknown = true;  // declared dimensions can be absurd: treat an overflow as unknown
  }
  return unknown ? -1 : n;
}

// Axes given either as an attribute (older opsets) or as input `input_index` (newer ones).
// Returns nullopt when the axes are an input whose value is not known yet; an empty
// vector when neither is given.
inline std::optional<std::vector<int64_t>> axes_attr_or_input(const InferContext& c,
                                                              size_t input_index) {
  if (c.has_input(input_index)) return known_ints(c, input_index);
  return c.attr_ints("axes");
}

// Normalizes a list of axes against `rank`, rejecting duplicates.
inline Expected<std::vector<int64_t>> normalize_axes(const NodeContext& c,
                                                     std::vector<int64_t> axes, int64_t rank) {
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank)
      return c.fail("axis " + std::to_string(a) + " is out of range for rank " +
                    std::to_string(rank));
    if (a < 0) a += rank;
    if (seen[static_cast<size_t>(a)]) return c.fail("axis " + std::to_string(a) + " is repeated");
    seen[static_cast<size_t>(a)] = true;
  }
  return axes;
}

// An error in the values of a node's inputs (an index out of range, a bad sequence length),
// which only the data can reveal: the caller's input is at fault rather than the model.
inline Error bad_input(const NodeContext& c, const std::string& message) {
  return invalid_argument("node " + c.node().label() + ": " + message);
}

// Checks an index read from a tensor against a dimension and maps negative indices.
inline Expected<int64_t> checked_index(const NodeContext& c, int64_t index, int64_t dim,
                                       const char* what = "index") {
  if (index < -dim || index >= dim)
    return bad_input(c, std::string(what) + " " + std::to_string(index) + " is out of range [" +
                            std::to_string(-dim) + ", " + std::to_string(dim - 1) + "]");
  return index < 0 ? index + dim : index;
}

// normalize_axis with the node named in the error.
inline Expected<int64_t> node_axis(const NodeContext& c, int64_t axis, int64_t rank) {
  auto a = normalize_axis(axis, rank);
  if (!a) return c.fail(a.error().message());
  return a;
}

// Product of dims[begin, end).
inline int64_t dims_product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) n *= dims[i];
  return n;
}

// A strict weak order that places NaN above every number (as numpy's sort does), so sorting
// floats with NaN stays well defined.
template <class T>
bool total_less(T a, T b) {
  if constexpr (is_floating_v<T>) {
    const auto x = static_cast<compute_t<T>>(a);
    const auto y = static_cast<compute_t<T>>(b);
    if (std::isnan(y)) return !std::isnan(x);
    if (std::isnan(x)) return false;
    return x < y;
  } else {
    return a < b;
  }
}

// a + b and a * b for element type T: floats in compute_t<T>, integers wrapping around (in
// uint64, so that neither signed overflow nor int promotion of small types is undefined).
template <class T>
T wrapping_add(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else
    return static_cast<T>(static_cast<compute_t<T>>(a) + static_cast<compute_t<T>>(b));
}
template <class T>
T wrapping_mul(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else
    return static_cast<T>(static_cast<compute_t<T>>(a) * static_cast<compute_t<T>>(b));
}

// Advances a row-major multi-index over `dims`; false after the last one.
inline bool next_index(std::vector<int64_t>& idx, const std::vector<int64_t>& dims) {
  for (size_t d = dims.size(); d-- > 0;) {
    if (++idx[d] < dims[d]) return true;
    idx[d] = 0;
  }
  return false;
}

}  // namespace ledge
