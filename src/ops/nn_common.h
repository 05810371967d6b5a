// Shared by the neural-network operators (convolution, pooling, normalization, matmul):
// sliding-window geometry, a plain GEMM, and small N-D index helpers.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ops/helpers.h"

namespace ledge {

// Accumulator type of the reference kernels: float for float32 and the 16-bit floats, double
// for float64, and 64-bit unsigned for integers, whose wrap-around arithmetic then matches
// that of the element type once the result is converted back.
template <class T>
using acc_t = std::conditional_t<std::is_same_v<T, double>, double,
                                 std::conditional_t<is_floating_v<T>, float, uint64_t>>;

// Converts an accumulator value back to the element type.
template <class T, class A>
T from_acc(A v) {
  if constexpr (std::is_integral_v<T> && std::is_integral_v<A>)
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(v));
  else
    return static_cast<T>(v);
}
template <class A, class T>
A to_acc(T v) {
  if constexpr (is_floating_v<T>)
    return static_cast<A>(static_cast<compute_t<T>>(v));
  else
    return static_cast<A>(v);
}

// Window attributes (kernel, strides, dilations, pads...) and spatial sizes above these
// bounds are rejected: no real model uses them, and they would overflow the size arithmetic.
constexpr int64_t kMaxWindowValue = int64_t(1) << 31;
constexpr int64_t kMaxSpatialSize = int64_t(1) << 40;

// Converts a double to T. For integer types the value is truncated and saturates at the
// type's range, and NaN gives 0, where a plain conversion would be undefined behaviour.
template <class T>
T saturate_cast(double v) {
  if constexpr (!std::is_integral_v<T> || std::is_same_v<T, bool>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T(0);
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());  // exact
    const double hi = std::ldexp(1.0, std::numeric_limits<T>::digits);        // exclusive
    if (v < lo) return std::numeric_limits<T>::lowest();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
}

// Geometry of a sliding window over `rank` spatial dimensions, as given by the attributes
// kernel_shape, strides, dilations, pads, auto_pad and ceil_mode.
struct Window {
  int64_t rank = 0;
  std::vector<int64_t> kernel;     // -1 where unknown (kernel taken from an unknown weight)
  std::vector<int64_t> strides;    // all >= 1
  std::vector<int64_t> dilations;  // all >= 1
  std::vector<int64_t> pads;       // explicit pads: rank begins, then rank ends
  std::string auto_pad = "NOTSET";
  bool ceil_mode = false;
};

// Reads and validates the window attributes. `kernel` comes from kernel_shape or the weight;
// `dilations` / `ceil_mode` are read only when the operator version has them.
Expected<Window> read_window(const NodeContext& c, int64_t rank, std::vector<int64_t> kernel,
                             bool has_dilations, bool has_ceil_mode);

// Output size and padding of one spatial dimension.
struct Extent {
  int64_t out = -1;  // -1 when the input size or the kernel is unknown
  int64_t pad_begin = 0;
  int64_t pad_end = 0;
};
// For input size `in` (-1 if unknown) along spatial dimension i; an error when the window
// does not fit.
Expected<Extent> window_extent(const NodeContext& c, const Window& w, size_t i, int64_t in);

// Reads kernel_shape, which pooling operators require, validated for `rank` dimensions.
Expected<std::vector<int64_t>> read_kernel_shape(const NodeContext& c, int64_t rank, bool required);

// Advances a row-major multi-index within `dims`; false after the last one.
inline bool next_index(std::vector<int64_t>& idx, const std::vector<int64_t>& dims) {
  for (size_t d = idx.size(); d-- > 0;) {
    if (++idx[d] < dims[d]) return true;
    idx[d] = 0;
  }
  return false;
}

// C[m, n] += sum_k A(m, k) * B[k, n], where A(m, k) = a[m * a_m + k * a_k] (so A may be
// transposed) and B and C are row-major with leading dimensions ldb and ldc. The m-k-n loop
// order keeps the inner loop contiguous in B and C.
template <class A>
void gemm_acc(int64_t M, int64_t N, int64_t K, const A* a, int64_t a_m, int64_t a_k, const A* b,
              int64_t ldb, A* c, int64_t ldc) {
  for (int64_t m = 0; m < M; ++m) {
    A* crow = c + m * ldc;
    for (int64_t k = 0; k < K; ++k) {
      const A av = a[m * a_m + k * a_k];
      const A* brow = b + k * ldb;
      for (int64_t n = 0; n < N; ++n) crow[n] += av * brow[n];
    }
  }
}

// A tensor's elements converted to the accumulator type.
template <class A, class T>
std::vector<A> to_acc_vector(const T* p, int64_t n) {
  std::vector<A> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = to_acc<A>(p[i]);
  return v;
}

// Maps an axis into [0, rank) (negative counts from the end); unlike normalize_axis, a
// scalar has no axis at all.
Expected<int64_t> existing_axis(const NodeContext& c, int64_t axis, int64_t rank);

// Requires a floating-point element type (or an unknown one during static inference).
Status require_float(const InferContext& c, size_t i);
// Requires input i to have the same element type as input 0 (unknown types pass).
Status require_same_type(const InferContext& c, size_t i);

// Scratch buffers of the reference kernels obey the size limit of tensors (tensor_byte_limit),
// so that absurd shapes give an error rather than an allocation failure.
// `elements` is a double so that callers can pass products that would overflow int64.
Status check_scratch(const NodeContext& c, double elements, size_t elem_size);

// The dims of a static type, or a vector of -1 of the given rank.
std::vector<int64_t> dims_or_unknown(const TensorType& t, int64_t rank);
// Checks X, W and the optional bias of Conv/ConvTranspose; returns the rank of X (from W
// when X's is unknown), or -1 when neither rank is known.
Expected<int64_t> conv_input_rank(const InferContext& c);

}  // namespace ledge
