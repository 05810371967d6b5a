// ConvInteger (opset 10): convolution of int8/uint8 x and w minus their zero points (x per
// tensor, w per tensor or per output channel), accumulated in int32.
#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

Status infer_conv_integer(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "x"));
  LEDGE_TRY(require_input(c, 1, "w"));
  LEDGE_TRY(quant::check_type(c, 0, "x", {DType::kInt8, DType::kUInt8}));
  LEDGE_TRY(quant::check_type(c, 1, "w", {DType::kInt8, DType::kUInt8}));
  LEDGE_TRY(quant::check_same_type(c, 0, 2, "x_zero_point"));
  LEDGE_TRY(quant::check_same_type(c, 1, 3, "w_zero_point"));
  LEDGE_TRY(quant::check_scalar(c, 2, "x_zero_point"));
  return quant::infer_conv_output(c, 0, 1, DType::kInt32);
}

Status run_conv_integer(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  LEDGE_ASSIGN(const quant::ConvGeometry g, quant::conv_geometry(c, x.shape(), w.shape()));
  LEDGE_ASSIGN(const std::vector<int32_t> acc,
               quant::conv_integer(c, g, x, c.input_or_null(2), w, c.input_or_null(3)));
  std::copy(acc.begin(), acc.end(), c.output(0).data<int32_t>());
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(ConvInteger, ledge::infer_conv_integer, ledge::run_conv_integer)
