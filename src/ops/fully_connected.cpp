// ledge.FullyConnected: Y = clamp(X · Wᵀ + B), the form the CPU lowering gives Gemm and
// MatMul with constant weights.  X [M, K], W [N, K], B [N] → Y [M, N]
#include "ops/lowered_common.h"
#include "ops/nn_common.h"

namespace ledge {
namespace {

Status infer(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  if (c.input_dtype(0) != DType::kFloat32 || c.input_dtype(1) != DType::kFloat32)
    return c.fail("FullyConnected takes float32");
  if (c.input_rank(0) != 2 || c.input_rank(1) != 2) return c.fail("X and W must be 2-D");
  const Shape& x = *c.input_type(0).shape;
  const Shape& w = *c.input_type(1).shape;
  if (x[1] >= 0 && w[1] >= 0 && x[1] != w[1])
    return c.fail("X has " + std::to_string(x[1]) + " columns, W " + std::to_string(w[1]));
  if (c.has_input(2) && (c.input_rank(2) != 1 || (*c.input_type(2).shape)[0] != w[0]))
    return c.fail("B must have shape [" + std::to_string(w[0]) + "]");
  return c.set_output(0, DType::kFloat32, {x[0], w[0]});
}

Status run(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  const Tensor* b = c.input_or_null(2);
  const ActivationRange act = read_activation(c);
  const int64_t M = x.dim(0), K = x.dim(1), N = w.dim(0);
  float* py = c.output(0).data<float>();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = b ? b->data<float>()[n] : 0.0;
      for (int64_t k = 0; k < K; ++k)
        acc += static_cast<double>(x.data<float>()[m * K + k]) * w.data<float>()[n * K + k];
      py[m * N + n] = act.apply(static_cast<float>(acc));
    }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(FullyConnected, "ledge", infer, run)
