// Building blocks shared by the reference operators: axes, broadcasting, element-wise maps.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "ops/kernel.h"

namespace ledge {

// Maps a possibly negative axis into [0, rank); an error when out of range.
Expected<int64_t> normalize_axis(int64_t axis, int64_t rank);

// Numpy-style multidirectional broadcast of known shapes.
Expected<Shape> broadcast_shapes(const std::vector<Shape>& shapes);
// The same on static types, where -1 marks an unknown dimension. Unknown rank gives nullopt.
Expected<std::optional<std::vector<int64_t>>> broadcast_types(
    const std::vector<const TensorType*>& types);

// Row-major strides of a shape.
std::vector<int64_t> strides_of(const Shape& shape);

// Strides of `in` broadcast to `out` (0 along broadcast dimensions), aligned right.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Calls f(out_index, offsets) for every element of `out`, where offsets[k] is the element
// offset into input k broadcast to `out`.
template <size_t N, class F>
void for_each_broadcast(const Shape& out, const std::array<const Shape*, N>& ins, F&& f) {
  const int64_t total = numel(out);
  if (total == 0) return;
  const size_t rank = out.size();
  std::array<std::vector<int64_t>, N> st;
  for (size_t k = 0; k < N; ++k) st[k] = broadcast_strides(*ins[k], out);
  std::vector<int64_t> idx(rank, 0);
  std::array<int64_t, N> off{};
  for (int64_t i = 0; i < total; ++i) {
    f(i, off);
    // Increment the multi-index, updating the offsets incrementally.
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out[d]) {
        for (size_t k = 0; k < N; ++k) off[k] += st[k][d];
        break;
      }
      for (size_t k = 0; k < N; ++k) off[k] -= st[k][d] * (out[d] - 1);
      idx[d] = 0;
    }
  }
}

// infer for element-wise operators: output i=0 has the broadcast shape of all present inputs
// and the element type `out` (default: that of input 0). Checks that inputs share a type
// when `same_types` is set.
Status infer_elementwise(InferContext& c, DType out = DType::kUndefined, bool same_types = true);

// Output 0 = f(input 0) element-wise, same element type, for the types in `set`.
template <TypeSet set = TypeSet::kNumeric, class F>
Status unary_map(KernelContext& c, F&& f) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  return dispatch<set>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) py[i] = static_cast<T>(f(px[i]));
  });
}

// Output 0 = f(a, b) with broadcasting; inputs share type T, output type R (default T).
template <TypeSet set = TypeSet::kNumeric, class F>
Status binary_map(KernelContext& c, F&& f) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  Tensor& y = c.output(0);
  return dispatch<set>(a.dtype(), [&]<class T>() -> Status {
    using R = decltype(f(T{}, T{}));
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    const DType out_type = dtype_of<std::conditional_t<std::is_same_v<R, bool>, bool, T>>();
    if (y.dtype() != out_type) return internal_error("binary_map: unexpected output type");
    if constexpr (std::is_same_v<R, bool>) {
      bool* py = y.data<bool>();
      for_each_broadcast<2>(
          y.shape(), {&a.shape(), &b.shape()},
          [&](int64_t i, const std::array<int64_t, 2>& o) { py[i] = f(pa[o[0]], pb[o[1]]); });
    } else {
      T* py = y.data<T>();
      for_each_broadcast<2>(y.shape(), {&a.shape(), &b.shape()},
                            [&](int64_t i, const std::array<int64_t, 2>& o) {
                              py[i] = static_cast<T>(f(pa[o[0]], pb[o[1]]));
                            });
    }
    return Status();
  });
}

// Element-wise math in float for 16-bit floats and natively otherwise: compute_t<Float16>
// is float.
template <class T>
using compute_t =
    std::conditional_t<std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>, float, T>;

// Requires an input to be present and have one of the listed element types.
Status require_input(const InferContext& c, size_t i, const char* what = "input");

}  // namespace ledge
