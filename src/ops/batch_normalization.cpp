// BatchNormalization: Y = (X - mean) / sqrt(var + epsilon) * scale + B per channel (axis 1).
//
// Versions: before 7 the node carries is_test (and before 6 consumed_inputs), before 9 a
// `spatial` attribute (spatial=0: parameters per activation, shaped like X without the batch
// dimension). From 14, training_mode=1 normalizes with the batch statistics and outputs the
// updated running mean and variance; from 15 the parameters may have their own float types.
// The training outputs of versions before 14 (mean, var, saved_mean, saved_var) are not
// supported.
#include <cmath>

#include "ops/nn_common.h"

namespace ledge {
namespace {

bool training_mode(const NodeContext& c) {
  return c.opset() >= 14 && c.attr_int("training_mode", 0) != 0;
}

bool uses_output(const NodeContext& c, size_t i) {
  return i < c.node().outputs.size() && !c.node().outputs[i].empty();
}

Status infer_batch_norm(InferContext& c) {
  for (size_t i = 0; i < 5; ++i) {
    LEDGE_TRY(require_input(c, i));
    LEDGE_TRY(require_float(c, i));
  }
  if (c.opset() < 15)
    for (size_t i = 1; i < 5; ++i)
      if (c.opset() < 14 || i < 3) LEDGE_TRY(require_same_type(c, i));
  const bool training = training_mode(c);
  if (!training)
    for (size_t i = 1; i < 5; ++i)
      if (uses_output(c, i))
        return c.fail_unsupported("training outputs of BatchNormalization are not supported" +
                                  std::string(c.opset() >= 14 ? " without training_mode=1" : ""));
  const int64_t rank = c.input_rank(0);
  if (rank >= 0 && rank < 2)
    return c.fail("input X has rank " + std::to_string(rank) + ", expected 2 or more");
  const int64_t C = rank >= 0 ? (*c.input_type(0).shape)[1] : -1;
  // Per-activation parameters (spatial=0) are shaped like X without its batch dimension.
  const bool spatial = c.opset() >= 9 || training || c.attr_int("spatial", 1) != 0;
  std::vector<int64_t> per_activation;
  if (rank >= 0)
    per_activation.assign(c.input_type(0).shape->begin() + 1, c.input_type(0).shape->end());
  int64_t first_count = -1;
  for (size_t i = 1; i < 5; ++i) {
    const TensorType& t = c.input_type(i);
    if (!t.is_static()) continue;
    const int64_t n = numel(*t.shape);
    if (first_count >= 0 && n != first_count)
      return c.fail("scale, B, mean and var have different sizes");
    first_count = n;
    if (C < 0) continue;
    const bool per_channel = t.shape->size() <= 1 && n == C;
    bool known = true;
    for (int64_t d : per_activation) known = known && d >= 0;
    if (!per_channel && (spatial || (known && *t.shape != per_activation)))
      return c.fail("input " + std::to_string(i) + " has shape " + t.to_string() + ", expected [" +
                    std::to_string(C) + "]");
  }
  LEDGE_TRY(c.set_output(0, c.input_type(0)));
  if (training) {
    LEDGE_TRY(c.set_output(1, c.input_dtype(3), {C}));
    LEDGE_TRY(c.set_output(2, c.input_dtype(4), {C}));
  }
  return Status();
}

std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.as_double(i);
  return v;
}

Status run_batch_norm(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const double eps = c.attr_float("epsilon", 1e-5f);
  const int64_t N = x.dim(0), C = x.dim(1);
  const int64_t S = N * C == 0 ? 0 : x.numel() / (N * C);  // spatial size
  std::vector<double> scale = as_doubles(c.input(1)), bias = as_doubles(c.input(2));
  std::vector<double> mean = as_doubles(c.input(3)), var = as_doubles(c.input(4));
  const bool training = training_mode(c);
  // Per-activation parameters (spatial=0) cover C * S values instead of C.
  const bool per_activation = static_cast<int64_t>(scale.size()) != C;
  const int64_t P = per_activation ? S : 1;

  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() -> Status {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    std::vector<double> batch_mean, batch_var;
    if (training) {
      batch_mean.assign(static_cast<size_t>(C), 0.0);
      batch_var.assign(static_cast<size_t>(C), 0.0);
      const double count = static_cast<double>(N * S);
      for (int64_t ch = 0; ch < C; ++ch) {
        double sum = 0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t s = 0; s < S; ++s)
            sum += static_cast<double>(static_cast<compute_t<T>>(px[(n * C + ch) * S + s]));
        const double m = sum / count;
        double sq = 0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t s = 0; s < S; ++s) {
            const double d =
                static_cast<double>(static_cast<compute_t<T>>(px[(n * C + ch) * S + s])) - m;
            sq += d * d;
          }
        batch_mean[static_cast<size_t>(ch)] = m;
        batch_var[static_cast<size_t>(ch)] = sq / count;
      }
    }
    const std::vector<double>& m = training ? batch_mean : mean;
    const std::vector<double>& v = training ? batch_var : var;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t ch = 0; ch < C; ++ch)
        for (int64_t s = 0; s < S; ++s) {
          const size_t p = static_cast<size_t>(ch * P + (per_activation ? s : 0));
          const size_t q = training ? static_cast<size_t>(ch) : p;
          const int64_t i = (n * C + ch) * S + s;
          const double xv = static_cast<double>(static_cast<compute_t<T>>(px[i]));
          py[i] = static_cast<T>((xv - m[q]) / std::sqrt(v[q] + eps) * scale[p] + bias[p]);
        }
    if (training) {
      const double momentum = c.attr_float("momentum", 0.9f);
      for (size_t k = 1; k < 3; ++k) {
        if (!uses_output(c, k)) continue;
        Tensor& out = c.output(k);
        const std::vector<double>& running = k == 1 ? mean : var;
        const std::vector<double>& current = k == 1 ? batch_mean : batch_var;
        LEDGE_TRY(dispatch<TypeSet::kFloat>(out.dtype(), [&]<class U>() {
          for (int64_t ch = 0; ch < C; ++ch) {
            const size_t j = static_cast<size_t>(ch);
            out.data<U>()[ch] =
                static_cast<U>(running[j] * momentum + current[j] * (1.0 - momentum));
          }
        }));
      }
    }
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(BatchNormalization, ledge::infer_batch_norm, ledge::run_batch_norm)
