// DFT (opset 17): the discrete Fourier transform along one signal axis of
// [batch, signal_dims..., 1 (real) | 2 (complex)]. dft_length (optional input) zero-pads or
// truncates the signal; onesided keeps the floor(n/2)+1 non-redundant bins of a real
// signal's transform; inverse computes the inverse transform (scaled by 1/n).
#include <complex>

#include "ops/helpers.h"
#include "ops/signal_common.h"

namespace ledge {
namespace {

// The signal axis: `axis` counts dimensions including the batch axis; a negative one counts
// back from the last signal axis (the trailing real/imaginary axis is not a signal axis).
Expected<int64_t> signal_axis(const NodeContext& c, int64_t rank) {
  const int64_t axis = c.attr_int("axis", 1);
  if (axis < -(rank - 1) || axis >= rank - 1)
    return c.fail("axis " + std::to_string(axis) + " is not a signal axis of a rank-" +
                  std::to_string(rank) + " input");
  return axis < 0 ? axis + rank - 1 : axis;
}

Status infer_dft(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  const TensorType& x = c.input_type(0);
  if (!dtype_is_float(x.dtype) && x.dtype != DType::kUndefined)
    return c.fail("input must be a floating-point tensor, got " + x.to_string());
  const int64_t onesided = c.attr_int("onesided", 0);
  const int64_t inverse = c.attr_int("inverse", 0);
  if (onesided != 0 && onesided != 1) return c.fail("onesided must be 0 or 1");
  if (inverse != 0 && inverse != 1) return c.fail("inverse must be 0 or 1");
  int64_t n = -1;
  if (c.has_input(1)) {
    const TensorType& len = c.input_type(1);
    if (len.dtype != DType::kInt32 && len.dtype != DType::kInt64 && len.dtype != DType::kUndefined)
      return c.fail("dft_length must be int32 or int64, got " + len.to_string());
    if (len.shape && !len.shape->empty() && !(len.shape->size() == 1 && (*len.shape)[0] == 1))
      return c.fail("dft_length must be a scalar, got " + len.to_string());
    if (const Tensor* v = c.input_value(1)) {
      n = v->as_int64(0);
      if (n < 1) return c.fail("dft_length must be positive, got " + std::to_string(n));
    }
  }
  if (!x.shape) return c.set_output_unknown(0, x.dtype);
  const int64_t rank = static_cast<int64_t>(x.shape->size());
  if (rank < 2) return c.fail("input must have rank at least 2, got " + x.to_string());
  const int64_t last = x.shape->back();
  if (last >= 0 && last != 1 && last != 2)
    return c.fail("the last dimension must be 1 (real) or 2 (complex), got " + x.to_string());
  if (onesided && last == 2) return c.fail("onesided output needs a real input");
  LEDGE_ASSIGN(const int64_t axis, signal_axis(c, rank));
  std::vector<int64_t> out = *x.shape;
  if (!c.has_input(1)) n = out[static_cast<size_t>(axis)];
  out[static_cast<size_t>(axis)] = n < 0 ? -1 : onesided ? n / 2 + 1 : n;
  out.back() = 2;
  return c.set_output(0, x.dtype, out);
}

Status run_dft(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t rank = x.rank();
  LEDGE_ASSIGN(const int64_t axis, signal_axis(c, rank));
  const bool inverse = c.attr_int("inverse", 0) != 0;
  const int64_t len = x.dim(axis);
  const int64_t n = c.has_input(1) ? c.input(1).as_int64(0) : len;
  if (n < 1) return c.fail("the DFT length must be positive");
  const int64_t out_len = y.dim(axis);
  const int64_t comps = x.dim(rank - 1);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int64_t i = axis + 1; i < rank - 1; ++i) inner *= x.dim(i);

  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    std::vector<std::complex<double>> v(static_cast<size_t>(n));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t in = 0; in < inner; ++in) {
        for (int64_t j = 0; j < n; ++j) {
          if (j >= len) {
            v[static_cast<size_t>(j)] = 0;
            continue;
          }
          const int64_t at = ((o * len + j) * inner + in) * comps;
          const double re = static_cast<double>(px[at]);
          const double im = comps == 2 ? static_cast<double>(px[at + 1]) : 0.0;
          v[static_cast<size_t>(j)] = {re, im};
        }
        signal::dft(v, inverse);
        for (int64_t k = 0; k < out_len; ++k) {
          const int64_t at = ((o * out_len + k) * inner + in) * 2;
          py[at] = static_cast<T>(v[static_cast<size_t>(k)].real());
          py[at + 1] = static_cast<T>(v[static_cast<size_t>(k)].imag());
        }
      }
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(DFT, ledge::infer_dft, ledge::run_dft)
