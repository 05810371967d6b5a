// Compress: keeps the slices along an axis (or elements of the flattened input, without an
// axis) where condition is true. A condition shorter than the axis leaves out the rest.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_compress(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  LEDGE_TRY(require_input(c, 1, "condition"));
  if (c.input_dtype(1) != DType::kBool && c.input_dtype(1) != DType::kUndefined)
    return c.fail("condition must be bool");
  if (c.input_rank(1) > 1) return c.fail("condition must be 1-D");
  const DType dtype = c.input_dtype(0);
  if (!c.has_attr("axis")) return c.set_output_unknown(0, dtype, 1);
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype);
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis"), static_cast<int64_t>(in->size())));
  std::vector<int64_t> out = *in;
  out[static_cast<size_t>(axis)] = -1;
  return c.set_output(0, TensorType{dtype, out});
}

Status run_compress(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& cond = c.input(1);
  const bool flat = !c.has_attr("axis");
  Shape xs = flat ? Shape{x.numel()} : x.shape();
  int64_t axis = 0;
  if (!flat) {
    LEDGE_ASSIGN(axis, node_axis(c, c.attr_int("axis"), x.rank()));
  }
  const size_t a = static_cast<size_t>(axis);
  const int64_t dim = xs[a];
  const bool* pc = cond.data<bool>();
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < cond.numel(); ++i) {
    if (!pc[i]) continue;
    if (i >= dim)
      return bad_input(c, "condition selects entry " + std::to_string(i) + " of an axis of size " +
                              std::to_string(dim));
    keep.push_back(i);
  }
  Shape out = xs;
  out[a] = static_cast<int64_t>(keep.size());
  LEDGE_ASSIGN(Tensor * y, c.allocate_output(0, x.dtype(), out));
  const int64_t outer = dims_product(xs, 0, a);
  const int64_t inner = dims_product(xs, a + 1, xs.size());
  const size_t esz = dtype_size(x.dtype());
  const auto* px = static_cast<const uint8_t*>(x.raw());
  auto* py = static_cast<uint8_t*>(y->raw());
  const size_t block = static_cast<size_t>(inner) * esz;
  if (block == 0) return Status();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : keep) {
      std::memcpy(py, px + static_cast<size_t>(o * dim + k) * block, block);
      py += block;
    }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Compress, ledge::infer_compress, ledge::run_compress)
