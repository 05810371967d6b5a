// QLinearMatMul (opset 10): the integer product of MatMulInteger, requantized to y's scale and
// zero point. a's scale and zero point may be per row, b's per column; y's are per tensor.
#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

enum Input : size_t { kA, kAScale, kAZero, kB, kBScale, kBZero, kYScale, kYZero };

Status infer_qlinear_matmul(InferContext& c) {
  static const char* const kNames[] = {"a",       "a_scale",      "a_zero_point", "b",
                                       "b_scale", "b_zero_point", "y_scale",      "y_zero_point"};
  for (size_t i = 0; i < 8; ++i) LEDGE_TRY(require_input(c, i, kNames[i]));
  for (size_t i : {kA, kAZero, kB, kBZero, kYZero})
    LEDGE_TRY(quant::check_type(c, i, kNames[i], {DType::kInt8, DType::kUInt8}));
  for (size_t i : {kAScale, kBScale, kYScale})
    LEDGE_TRY(quant::check_type(c, i, kNames[i], {DType::kFloat32}));
  LEDGE_TRY(quant::check_same_type(c, kA, kAZero, "a_zero_point"));
  LEDGE_TRY(quant::check_same_type(c, kB, kBZero, "b_zero_point"));
  LEDGE_TRY(quant::check_scalar(c, kYScale, "y_scale"));
  LEDGE_TRY(quant::check_scalar(c, kYZero, "y_zero_point"));
  LEDGE_ASSIGN(auto shape, quant::matmul_shape(c, c.input_type(kA), c.input_type(kB)));
  return c.set_output(0, TensorType{c.input_dtype(kYZero), std::move(shape)});
}

Status run_qlinear_matmul(KernelContext& c) {
  const Tensor& a = c.input(kA);
  const Tensor& b = c.input(kB);
  LEDGE_ASSIGN(const quant::MatMulPlan plan, quant::plan_matmul(c, a.shape(), b.shape()));
  LEDGE_ASSIGN(const std::vector<int32_t> acc,
               quant::matmul_integer(c, plan, a, &c.input(kAZero), b, &c.input(kBZero)));
  LEDGE_ASSIGN(const std::vector<double> a_scale,
               quant::expand_rows(c, c.input(kAScale), plan, "a_scale"));
  LEDGE_ASSIGN(const std::vector<double> b_scale,
               quant::expand_cols(c, c.input(kBScale), plan, "b_scale"));
  LEDGE_ASSIGN(const float y_scale, quant::scalar_float(c, kYScale, "y_scale"));
  LEDGE_ASSIGN(const int32_t y_zero, quant::scalar_int(c, kYZero, "y_zero_point"));
  Tensor& y = c.output(0);
  return quant::dispatch_q8(y.dtype(), [&]<class Q>() {
    Q* py = y.data<Q>();
    const int64_t M = plan.M, N = plan.N;
    for (size_t i = 0; i < plan.a_matrix.size(); ++i) {
      const int64_t ai = plan.a_matrix[i], bi = plan.b_matrix[i];
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          const float mult = quant::requant_multiplier(
              static_cast<float>(a_scale[static_cast<size_t>(ai * M + m)]),
              static_cast<float>(b_scale[static_cast<size_t>(bi * N + n)]), y_scale);
          const size_t o =
              (i * static_cast<size_t>(M) + static_cast<size_t>(m)) * static_cast<size_t>(N) +
              static_cast<size_t>(n);
          py[o] = quant::requantize<Q>(acc[o], mult, y_zero);
        }
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(QLinearMatMul, ledge::infer_qlinear_matmul, ledge::run_qlinear_matmul)
