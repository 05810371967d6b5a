// MatMulInteger (opset 10): numpy.matmul of int8/uint8 operands minus their zero points (per
// tensor, per row of A, per column of B), accumulated in int32.
#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

Status infer_matmul_integer(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "A"));
  LEDGE_TRY(require_input(c, 1, "B"));
  LEDGE_TRY(quant::check_type(c, 0, "A", {DType::kInt8, DType::kUInt8}));
  LEDGE_TRY(quant::check_type(c, 1, "B", {DType::kInt8, DType::kUInt8}));
  LEDGE_TRY(quant::check_same_type(c, 0, 2, "a_zero_point"));
  LEDGE_TRY(quant::check_same_type(c, 1, 3, "b_zero_point"));
  LEDGE_ASSIGN(auto shape, quant::matmul_shape(c, c.input_type(0), c.input_type(1)));
  return c.set_output(0, TensorType{DType::kInt32, std::move(shape)});
}

Status run_matmul_integer(KernelContext& c) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  LEDGE_ASSIGN(const quant::MatMulPlan plan, quant::plan_matmul(c, a.shape(), b.shape()));
  LEDGE_ASSIGN(const std::vector<int32_t> acc,
               quant::matmul_integer(c, plan, a, c.input_or_null(2), b, c.input_or_null(3)));
  std::copy(acc.begin(), acc.end(), c.output(0).data<int32_t>());
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(MatMulInteger, ledge::infer_matmul_integer, ledge::run_matmul_integer)
