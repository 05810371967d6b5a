// The generalized cosine windows of opset 17: HannWindow, HammingWindow, BlackmanWindow.
//   w[k] = a0 - a1 cos(2 pi k / N) + a2 cos(4 pi k / N),  k = 0 .. size-1
// with N = size when periodic (the default), size - 1 when symmetric. The output element
// type is output_datatype (default float).
#include <cmath>
#include <numbers>

#include "ops/helpers.h"

namespace ledge {
namespace {

struct Coefficients {
  double a0, a1, a2;
};

// An output_datatype attribute's element type: any numeric type.
Expected<DType> output_datatype(const NodeContext& c) {
  const int64_t v = c.attr_int("output_datatype", static_cast<int64_t>(DType::kFloat32));
  const DType t = static_cast<DType>(v);
  if (v < 0 || v > 16 || !dtype_is_storable(t) || t == DType::kBool || t == DType::kString)
    return c.fail("output_datatype " + std::to_string(v) + " is not a numeric element type");
  return t;
}

Status infer_window(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "size"));
  const TensorType& s = c.input_type(0);
  if (s.dtype != DType::kInt32 && s.dtype != DType::kInt64 && s.dtype != DType::kUndefined)
    return c.fail("size must be int32 or int64, got " + s.to_string());
  if (s.shape && !s.shape->empty() && !(s.shape->size() == 1 && (*s.shape)[0] == 1))
    return c.fail("size must be a scalar, got " + s.to_string());
  const int64_t periodic = c.attr_int("periodic", 1);
  if (periodic != 0 && periodic != 1) return c.fail("periodic must be 0 or 1");
  LEDGE_ASSIGN(const DType dt, output_datatype(c));
  int64_t n = -1;
  if (const Tensor* v = c.input_value(0)) {
    n = v->as_int64(0);
    if (n < 0) return c.fail("size must not be negative, got " + std::to_string(n));
  }
  return c.set_output(0, dt, {n});
}

Status run_window(KernelContext& c, const Coefficients& k) {
  Tensor& y = c.output(0);
  const int64_t size = y.dim(0);
  const bool periodic = c.attr_int("periodic", 1) != 0;
  const int64_t n = periodic ? size : size - 1;
  return dispatch<TypeSet::kNumeric>(y.dtype(), [&]<class T>() {
    T* p = y.data<T>();
    for (int64_t i = 0; i < size; ++i) {
      // A symmetric window of one sample has N = 0; take its only point at angle 0.
      const double x = n > 0 ? 2 * std::numbers::pi * static_cast<double>(i) / n : 0.0;
      const double w = k.a0 - k.a1 * std::cos(x) + k.a2 * std::cos(2 * x);
      p[i] = static_cast<T>(w);
    }
  });
}

Status run_hann(KernelContext& c) { return run_window(c, {0.5, 0.5, 0.0}); }
Status run_hamming(KernelContext& c) { return run_window(c, {25.0 / 46, 21.0 / 46, 0.0}); }
Status run_blackman(KernelContext& c) { return run_window(c, {0.42, 0.5, 0.08}); }

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(BlackmanWindow, ledge::infer_window, ledge::run_blackman)
LEDGE_DEFINE_OP(HammingWindow, ledge::infer_window, ledge::run_hamming)
LEDGE_DEFINE_OP(HannWindow, ledge::infer_window, ledge::run_hann)
