// ledge.QFullyConnected: the integer form of ledge.FullyConnected that the CPU lowering gives
// quantized Gemm and MatMul (src/lower/fuse_quantized.cpp). Inputs in QLinearConv's order:
//   x [M, K] (u)int8, w [N, K] (u)int8 (scale and zero point per tensor or per row n),
//   B [N] int32 → y [M, N] = requantize(sum_k (x - x_zp)(w - w_zp) + B)
// Without y_scale and y_zero_point, y is float32: acc * x_scale * w_scale[n] (a classifier
// whose logits leave the model as float keeps its weights in int8). In an artifact, w may be
// stored pre-packed for the integer kernels (packed_weight_shape).
#include "ops/lowered_common.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

using namespace quant;

Status infer(InferContext& c) {
  LEDGE_TRY(infer_qlinear_inputs(c, true));
  if (c.input_rank(kQX) != 2) return c.fail("x must be 2-D");
  const Shape& x = *c.input_type(kQX).shape;
  LEDGE_ASSIGN(const Shape w, qlinear_weight_shape(c, c.input_type(kQW), 2));
  if (x[1] >= 0 && w[1] >= 0 && x[1] != w[1])
    return c.fail("x has " + std::to_string(x[1]) + " columns, w " + std::to_string(w[1]));
  const DType out = c.has_input(kQYZero) ? c.input_dtype(kQYZero) : DType::kFloat32;
  return c.set_output(0, out, {x[0], w[0]});
}

Status run(KernelContext& c) {
  const Tensor& x = c.input(kQX);
  LEDGE_ASSIGN(const Tensor w, qlinear_weight_values(c, c.input(kQW), 2));
  Tensor& y = c.output(0);
  const int64_t M = x.dim(0), K = x.dim(1), N = w.dim(0);
  LEDGE_ASSIGN(const QLinearParams p, qlinear_params(c, N));
  LEDGE_ASSIGN(const std::vector<int32_t> wx,
               widen_minus_zero_point(x, {p.x_zero}, [](int64_t) { return 0; }));
  LEDGE_ASSIGN(const std::vector<int32_t> ww,
               widen_minus_zero_point(w, p.w_zero, [&](int64_t i) { return i / K; }));
  auto accumulate = [&](int64_t m, int64_t n) {
    int32_t acc = p.bias.empty() ? 0 : p.bias[static_cast<size_t>(n)];
    for (int64_t k = 0; k < K; ++k) acc = wrap_add(acc, wx[m * K + k] * ww[n * K + k]);
    return acc;
  };
  if (y.dtype() == DType::kFloat32) {
    float* py = y.data<float>();
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n)
        py[m * N + n] = static_cast<float>(accumulate(m, n)) * p.multiplier[static_cast<size_t>(n)];
    return Status();
  }
  return dispatch_q8(y.dtype(), [&]<class Q>() {
    Q* py = y.data<Q>();
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n)
        py[m * N + n] =
            requantize<Q>(accumulate(m, n), p.multiplier[static_cast<size_t>(n)], p.y_zero);
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(QFullyConnected, "ledge", infer, run)
