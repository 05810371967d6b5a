// Optimizer steps of the ai.onnx.preview.training domain: Adagrad, Adam, Momentum.
// On-device fine-tuning graphs carry them. Each updates n tensors at once:
//   inputs  R (learning rate), T (step count), X_1..X_n, G_1..G_n, then the state tensors
//           (Adagrad: H_1..H_n; Momentum: V_1..V_n; Adam: V_1..V_n, H_1..H_n)
//   outputs X_new_1..X_new_n, then the new state tensors in the same order.
// Arithmetic is in double and rounded once, following the ONNX formulas.
#include <cmath>

#include "ops/helpers.h"

namespace ledge {
namespace {

// Number of per-tensor groups (X, G and the state tensors) each optimizer takes.
int groups_of(const std::string& op) { return op == "Adam" ? 4 : 3; }

Status infer_optimizer(InferContext& c) {
  const int groups = groups_of(c.node().op_type);
  if (c.num_inputs() < 2 + static_cast<size_t>(groups) ||
      (c.num_inputs() - 2) % static_cast<size_t>(groups) != 0)
    return c.fail("expects R, T and " + std::to_string(groups) + " tensors per parameter");
  const size_t n = (c.num_inputs() - 2) / static_cast<size_t>(groups);
  if (c.num_outputs() != n * static_cast<size_t>(groups - 1))
    return c.fail("expects " + std::to_string(n * static_cast<size_t>(groups - 1)) + " outputs");
  for (size_t i = 0; i < c.num_inputs(); ++i) LEDGE_TRY(require_input(c, i));
  if (!dtype_is_float(c.input_dtype(0)) || !dtype_is_int(c.input_dtype(1)))
    return c.fail("R must be floating point and T an integer");
  if (c.node().op_type == "Momentum") {
    const std::string mode = c.attr_string("mode", "standard");
    if (mode != "standard" && mode != "nesterov") return c.fail("unknown mode '" + mode + "'");
  }
  for (size_t k = 0; k < n; ++k) {
    const TensorType& x = c.input_type(2 + k);
    if (!dtype_is_float(x.dtype)) return c.fail("parameters must be floating point");
    for (int g = 1; g < groups; ++g) {
      const TensorType& t = c.input_type(2 + k + static_cast<size_t>(g) * n);
      if (t.dtype != x.dtype) return c.fail("gradient and state must match the parameter type");
      if (x.shape && t.shape && *x.shape != *t.shape)
        return c.fail("gradient and state must match the parameter shape");
    }
    for (int g = 0; g < groups - 1; ++g) LEDGE_TRY(c.set_output(k + static_cast<size_t>(g) * n, x));
  }
  return Status();
}

Status run_optimizer(KernelContext& c) {
  const std::string& op = c.node().op_type;
  const int groups = groups_of(op);
  const size_t n = (c.num_inputs() - 2) / static_cast<size_t>(groups);
  const double r = c.input(0).as_double(0);
  const double t = static_cast<double>(c.input(1).as_int64(0));
  const double norm = c.attr_float("norm_coefficient", 0.f);
  for (size_t k = 0; k < n; ++k) {
    const Tensor& x = c.input(2 + k);
    const Tensor& g = c.input(2 + n + k);
    const Tensor& s1 = c.input(2 + 2 * n + k);
    if (g.numel() != x.numel() || s1.numel() != x.numel())
      return c.fail("gradient and state must match the parameter shape");
    Tensor& x_new = c.output(k);
    Tensor& s1_new = c.output(n + k);
    Status st = dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() -> Status {
      auto put = [](Tensor& out, int64_t i, double v) { out.data<T>()[i] = static_cast<T>(v); };
      for (int64_t i = 0; i < x.numel(); ++i) {
        const double xv = x.as_double(i);
        const double gr = norm * xv + g.as_double(i);  // gradient plus the L2 term
        if (op == "Adagrad") {
          const double rate = r / (1 + t * c.attr_float("decay_factor", 0.f));
          const double h = s1.as_double(i) + gr * gr;
          put(s1_new, i, h);
          put(x_new, i, xv - rate * gr / (std::sqrt(h) + c.attr_float("epsilon", 0.f)));
        } else if (op == "Momentum") {
          const double alpha = c.attr_float("alpha", 0.f);
          const double beta = t > 0 ? c.attr_float("beta", 0.f) : 1.0;
          const double v = alpha * s1.as_double(i) + beta * gr;
          put(s1_new, i, v);
          const bool nesterov = c.attr_string("mode", "standard") == "nesterov";
          put(x_new, i, nesterov ? xv - r * (gr + alpha * v) : xv - r * v);
        } else {  // Adam
          const Tensor& h_old = c.input(2 + 3 * n + k);
          if (h_old.numel() != x.numel()) return c.fail("state must match the parameter shape");
          const double alpha = c.attr_float("alpha", 0.9f);
          const double beta = c.attr_float("beta", 0.999f);
          const double v = alpha * s1.as_double(i) + (1 - alpha) * gr;
          const double h = beta * h_old.as_double(i) + (1 - beta) * gr * gr;
          const double rate =
              t > 0 ? r * std::sqrt(1 - std::pow(beta, t)) / (1 - std::pow(alpha, t)) : r;
          const double x_step = xv - rate * (v / (std::sqrt(h) + c.attr_float("epsilon", 1e-6f)));
          put(s1_new, i, v);
          put(c.output(2 * n + k), i, h);
          put(x_new, i, (1 - c.attr_float("norm_coefficient_post", 0.f)) * x_step);
        }
      }
      return Status();
    });
    LEDGE_TRY(st);
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(Adagrad, "ai.onnx.preview.training", ledge::infer_optimizer,
                          ledge::run_optimizer)
LEDGE_DEFINE_OP_IN_DOMAIN(Adam, "ai.onnx.preview.training", ledge::infer_optimizer,
                          ledge::run_optimizer)
LEDGE_DEFINE_OP_IN_DOMAIN(Momentum, "ai.onnx.preview.training", ledge::infer_optimizer,
                          ledge::run_optimizer)
