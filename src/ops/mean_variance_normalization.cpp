// MeanVarianceNormalization: Y = (X - mean) / (sqrt(var) + 1e-9), with the mean and the
// (population) variance taken over `axes` (default [0, 2, 3]), as the ONNX function body
// defines it.
#include <cmath>

#include "ops/nn_common.h"

namespace ledge {
namespace {

// Input shape with the reduced axes set to 1.
Expected<Shape> kept_shape(const NodeContext& c, const Shape& shape) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  Shape kept = shape;
  for (int64_t a : c.attr_ints("axes", {0, 2, 3})) {
    LEDGE_ASSIGN(const int64_t axis, existing_axis(c, a, rank));
    kept[static_cast<size_t>(axis)] = 1;
  }
  return kept;
}

Status infer_mvn(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_float(c, 0));
  if (c.input_type(0).shape) {
    LEDGE_TRY(kept_shape(c, *c.input_type(0).shape));
  }
  return c.set_output(0, c.input_type(0));
}

Status run_mvn(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(const Shape kept, kept_shape(c, x.shape()));
  const int64_t groups = numel(kept);
  const double count = groups == 0 ? 0.0 : static_cast<double>(x.numel() / groups);
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    auto value = [&](int64_t i) { return static_cast<double>(static_cast<compute_t<T>>(px[i])); };
    std::vector<double> mean(static_cast<size_t>(groups), 0.0), var(mean);
    for_each_broadcast<1>(x.shape(), {&kept}, [&](int64_t i, const std::array<int64_t, 1>& g) {
      mean[static_cast<size_t>(g[0])] += value(i);
    });
    for (double& m : mean) m /= count;
    for_each_broadcast<1>(x.shape(), {&kept}, [&](int64_t i, const std::array<int64_t, 1>& g) {
      const double d = value(i) - mean[static_cast<size_t>(g[0])];
      var[static_cast<size_t>(g[0])] += d * d;
    });
    for (double& v : var) v /= count;
    for_each_broadcast<1>(x.shape(), {&kept}, [&](int64_t i, const std::array<int64_t, 1>& g) {
      const size_t k = static_cast<size_t>(g[0]);
      py[i] = static_cast<T>((value(i) - mean[k]) / (std::sqrt(var[k]) + 1e-9));
    });
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(MeanVarianceNormalization, ledge::infer_mvn, ledge::run_mvn)
