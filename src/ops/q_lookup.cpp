// ledge.QLookup: an 8-bit tensor mapped byte by byte through a table of 256 entries, the
// integer form the CPU lowering gives an element-wise float function between a
// DequantizeLinear and a QuantizeLinear (src/lower/fuse_quantized_lookups.cpp): with 256
// possible inputs, Q(f(DQ(x))) is a table, computed once from the float operators themselves.
//   x (u)int8, table (u)int8 [256] → y of x's shape and the table's type,
//   y[i] = table[byte(x[i])], where byte() reads x's bits as unsigned (int8 -128 is entry 128).
#include "ops/helpers.h"
#include "ops/lowered_common.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

using namespace quant;

Status infer(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "x"));
  LEDGE_TRY(require_input(c, 1, "table"));
  LEDGE_TRY(check_type(c, 0, "x", {DType::kInt8, DType::kUInt8}));
  LEDGE_TRY(check_type(c, 1, "table", {DType::kInt8, DType::kUInt8}));
  const TensorType& table = c.input_type(1);
  if (!table.shape || *table.shape != Shape{256}) return c.fail("table must have shape [256]");
  return c.set_output(0, TensorType{table.dtype, c.input_type(0).shape});
}

Status run(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& table = c.input(1);
  if (table.numel() != 256) return c.fail("table must have 256 entries");
  const auto* in = static_cast<const uint8_t*>(x.raw());
  const auto* t = static_cast<const uint8_t*>(table.raw());
  auto* out = static_cast<uint8_t*>(c.output(0).raw());
  for (int64_t i = 0; i < x.numel(); ++i) out[i] = t[in[i]];
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(QLookup, "ledge", infer, run)
