// Concat: joins tensors of equal rank along one axis.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

// Concat-1 defaulted axis to 1; from Concat-4 it is required.
Expected<int64_t> concat_axis(const NodeContext& c) {
  if (!c.has_attr("axis") && c.opset() >= 4) return c.fail("missing attribute 'axis'");
  return c.attr_int("axis", 1);
}

Status infer_concat(InferContext& c) {
  if (c.num_inputs() == 0) return c.fail("needs at least one input");
  DType dtype = DType::kUndefined;
  int64_t rank = -1;
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    LEDGE_TRY(require_data_input(c, i));
    const DType t = c.input_dtype(i);
    if (dtype == DType::kUndefined) dtype = t;
    if (t != DType::kUndefined && t != dtype)
      return c.fail("inputs have different element types (" + std::string(dtype_name(dtype)) +
                    " and " + std::string(dtype_name(t)) + ")");
    const int64_t r = c.input_rank(i);
    if (r < 0) continue;
    if (rank >= 0 && r != rank)
      return c.fail("inputs have different ranks (" + std::to_string(rank) + " and " +
                    std::to_string(r) + ")");
    rank = r;
  }
  LEDGE_ASSIGN(int64_t axis, concat_axis(c));
  if (rank < 0) return c.set_output_unknown(0, dtype);
  if (rank == 0) return c.fail("cannot concatenate scalars");
  LEDGE_ASSIGN(axis, node_axis(c, axis, rank));
  std::vector<int64_t> out(static_cast<size_t>(rank), -1);
  int64_t sum = 0;
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    const auto* s = input_shape(c, i);
    if (!s) {
      sum = -1;
      continue;
    }
    for (size_t d = 0; d < s->size(); ++d) {
      const int64_t v = (*s)[d];
      if (static_cast<int64_t>(d) == axis) {
        if (v < 0 || sum < 0)
          sum = -1;
        else
          sum += v;
      } else if (v >= 0) {
        if (out[d] >= 0 && out[d] != v)
          return c.fail("inputs differ in dimension " + std::to_string(d) + " (" +
                        std::to_string(out[d]) + " and " + std::to_string(v) + ")");
        out[d] = v;
      }
    }
  }
  out[static_cast<size_t>(axis)] = sum;
  return c.set_output(0, TensorType{dtype, out});
}

Status run_concat(KernelContext& c) {
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(int64_t axis, concat_axis(c));
  LEDGE_ASSIGN(axis, node_axis(c, axis, y.rank()));
  const size_t a = static_cast<size_t>(axis);
  const int64_t outer = dims_product(y.shape(), 0, a);
  const int64_t inner = dims_product(y.shape(), a + 1, y.shape().size());
  const size_t esz = dtype_size(y.dtype());
  auto* py = static_cast<uint8_t*>(y.raw());
  const int64_t out_block = y.shape()[a] * inner;
  int64_t at = 0;  // offset of the current input's block within an output block
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    const Tensor& x = c.input(i);
    const int64_t block = x.shape()[a] * inner;
    const auto* px = static_cast<const uint8_t*>(x.raw());
    if (block > 0)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(py + (o * out_block + at) * esz, px + o * block * esz,
                    static_cast<size_t>(block) * esz);
    at += block;
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Concat, ledge::infer_concat, ledge::run_concat)
