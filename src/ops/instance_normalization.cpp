// InstanceNormalization: normalizes every (image, channel) plane of [N, C, D1, ...] by its
// own mean and variance, then applies the per-channel scale and B:
//   y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c]
// (InstanceNormalization-1 also carries consumed_inputs, which changes nothing here.)
#include <cmath>

#include "ops/nn_common.h"

namespace ledge {
namespace {

Status infer_instance_norm(InferContext& c) {
  for (size_t i = 0; i < 3; ++i) {
    LEDGE_TRY(require_input(c, i));
    LEDGE_TRY(require_float(c, i));
    LEDGE_TRY(require_same_type(c, i));
  }
  const int64_t rank = c.input_rank(0);
  if (rank >= 0 && rank < 2)
    return c.fail("input has rank " + std::to_string(rank) + ", expected 2 or more");
  const int64_t C = rank >= 0 ? (*c.input_type(0).shape)[1] : -1;
  for (size_t i = 1; i < 3; ++i) {
    const TensorType& t = c.input_type(i);
    if (!t.shape) continue;
    if (t.shape->size() != 1 || (C >= 0 && (*t.shape)[0] >= 0 && (*t.shape)[0] != C))
      return c.fail("input " + std::to_string(i) + " has shape " + t.to_string() + ", expected [" +
                    std::to_string(C) + "]");
  }
  return c.set_output(0, c.input_type(0));
}

Status run_instance_norm(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& scale = c.input(1);
  const Tensor& bias = c.input(2);
  Tensor& y = c.output(0);
  const double eps = c.attr_float("epsilon", 1e-5f);
  const int64_t N = x.dim(0), C = x.dim(1);
  const int64_t S = N * C == 0 ? 0 : x.numel() / (N * C);
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t ch = 0; ch < C; ++ch) {
        const T* xp = px + (n * C + ch) * S;
        T* yp = py + (n * C + ch) * S;
        double sum = 0;
        for (int64_t s = 0; s < S; ++s)
          sum += static_cast<double>(static_cast<compute_t<T>>(xp[s]));
        const double mean = sum / static_cast<double>(S);
        double sq = 0;
        for (int64_t s = 0; s < S; ++s) {
          const double d = static_cast<double>(static_cast<compute_t<T>>(xp[s])) - mean;
          sq += d * d;
        }
        const double inv = 1.0 / std::sqrt(sq / static_cast<double>(S) + eps);
        const double a = scale.as_double(ch) * inv, b = bias.as_double(ch);
        for (int64_t s = 0; s < S; ++s)
          yp[s] = static_cast<T>(
              (static_cast<double>(static_cast<compute_t<T>>(xp[s])) - mean) * a + b);
      }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(InstanceNormalization, ledge::infer_instance_norm, ledge::run_instance_norm)
