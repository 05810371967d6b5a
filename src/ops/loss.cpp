// Loss functions: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
// Training losses, but exported inference graphs (and the ONNX suite) carry them.
//
// Both reduce to the same core: given log-probabilities [N, C, D] (trailing dimensions
// flattened into D) and targets [N, D], loss[n, d] = -w[t] * logp[n, t, d] with
// t = target[n, d]; targets equal to ignore_index get weight 0.
#include <cmath>

#include "ops/helpers.h"

namespace ledge {
namespace {

Status infer_loss(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "scores"));
  LEDGE_TRY(require_input(c, 1, "target"));
  const TensorType& x = c.input_type(0);
  const TensorType& t = c.input_type(1);
  if (!dtype_is_float(x.dtype)) return c.fail("scores must be floating point");
  if (t.dtype != DType::kInt32 && t.dtype != DType::kInt64)
    return c.fail("target must be int32 or int64");
  if (c.has_input(2) && c.input_dtype(2) != x.dtype)
    return c.fail("weight must have the element type of the scores");
  const std::string reduction = c.attr_string("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return c.fail("unknown reduction '" + reduction + "'");
  if (x.shape && x.shape->size() < 2) return c.fail("scores must have rank 2 or more");
  if (x.shape && t.shape) {
    const auto& xs = *x.shape;
    const auto& ts = *t.shape;
    bool ok = ts.size() + 1 == xs.size() && (ts[0] < 0 || xs[0] < 0 || ts[0] == xs[0]);
    for (size_t i = 1; ok && i < ts.size(); ++i)
      ok = ts[i] < 0 || xs[i + 1] < 0 || ts[i] == xs[i + 1];
    if (!ok)
      return c.fail("target shape " + t.to_string() + " does not fit scores " + x.to_string());
  }
  if (reduction == "none") {
    LEDGE_TRY(c.set_output(0, TensorType{x.dtype, t.shape}));
  } else {
    LEDGE_TRY(c.set_output(0, x.dtype, {}));
  }
  if (c.num_outputs() > 1) LEDGE_TRY(c.set_output(1, x));
  return Status();
}

// Computes the loss from log-probabilities `logp` (as doubles, layout [N, C, D]).
Status nll_core(KernelContext& c, const std::vector<double>& logp, const Shape& x_shape,
                Tensor& out) {
  const Tensor& target = c.input(1);
  const Tensor* weight = c.input_or_null(2);
  const int64_t n = x_shape[0], classes = x_shape[1];
  const int64_t d = n == 0 || classes == 0 ? 0 : static_cast<int64_t>(logp.size()) / (n * classes);
  const bool has_ignore = c.has_attr("ignore_index");
  const int64_t ignore = c.attr_int("ignore_index", 0);
  if (weight && weight->numel() != classes)
    return c.fail("weight has " + std::to_string(weight->numel()) + " values, expected " +
                  std::to_string(classes));
  std::vector<double> loss(static_cast<size_t>(n * d));
  std::vector<double> w(static_cast<size_t>(n * d), 1.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      const size_t k = static_cast<size_t>(i * d + j);
      const int64_t t = target.as_int64(i * d + j);
      if (has_ignore && t == ignore) {
        w[k] = 0;
        loss[k] = 0;
        continue;
      }
      if (t < 0 || t >= classes)
        return c.fail("target " + std::to_string(t) + " is out of range [0, " +
                      std::to_string(classes) + ")");
      if (weight) w[k] = weight->as_double(t);
      loss[k] = -w[k] * logp[static_cast<size_t>((i * classes + t) * d + j)];
    }
  }
  const std::string reduction = c.attr_string("reduction", "mean");
  return dispatch<TypeSet::kFloat>(out.dtype(), [&]<class T>() {
    T* o = out.data<T>();
    if (reduction == "none") {
      for (size_t k = 0; k < loss.size(); ++k) o[k] = static_cast<T>(loss[k]);
      return;
    }
    double sum = 0, wsum = 0;
    for (size_t k = 0; k < loss.size(); ++k) {
      sum += loss[k];
      wsum += w[k];
    }
    if (reduction == "sum")
      o[0] = static_cast<T>(sum);
    else if (weight || has_ignore)
      o[0] = static_cast<T>(sum / wsum);
    else
      o[0] = static_cast<T>(sum / static_cast<double>(loss.size()));
  });
}

std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.as_double(i);
  return v;
}

Status run_nll(KernelContext& c) {
  const Tensor& x = c.input(0);
  return nll_core(c, to_doubles(x), x.shape(), c.output(0));
}

Status run_sce(KernelContext& c) {
  const Tensor& x = c.input(0);
  std::vector<double> v = to_doubles(x);
  // log_softmax over axis 1 of [N, C, D].
  const int64_t n = x.dim(0), classes = x.dim(1);
  const int64_t d = n == 0 || classes == 0 ? 0 : x.numel() / (n * classes);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      auto at = [&](int64_t k) -> double& {
        return v[static_cast<size_t>((i * classes + k) * d + j)];
      };
      double mx = -INFINITY;
      for (int64_t k = 0; k < classes; ++k) mx = std::max(mx, at(k));
      double s = 0;
      for (int64_t k = 0; k < classes; ++k) s += std::exp(at(k) - mx);
      const double lse = mx + std::log(s);
      for (int64_t k = 0; k < classes; ++k) at(k) -= lse;
    }
  }
  if (c.num_outputs() > 1 && c.output(1).defined()) {
    Tensor& lp = c.output(1);
    LEDGE_TRY(dispatch<TypeSet::kFloat>(lp.dtype(), [&]<class T>() {
      for (size_t k = 0; k < v.size(); ++k) lp.data<T>()[k] = static_cast<T>(v[k]);
    }));
  }
  return nll_core(c, v, x.shape(), c.output(0));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(NegativeLogLikelihoodLoss, ledge::infer_loss, ledge::run_nll)
LEDGE_DEFINE_OP(SoftmaxCrossEntropyLoss, ledge::infer_loss, ledge::run_sce)
