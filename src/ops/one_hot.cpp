// OneHot: inserts a dimension of size depth at 'axis' holding values[1] where it matches the
// index and values[0] elsewhere. Indices outside [-depth, depth - 1] give all values[0], as
// the specification says.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Expected<int64_t> depth_of(const NodeContext& c, const Tensor& depth) {
  if (depth.numel() != 1) return c.fail("depth must have exactly one element");
  const int64_t d = depth.as_int64(0);
  if (d < 1) return c.fail("depth must be positive, got " + std::to_string(d));
  return d;
}

Status infer_one_hot(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "indices"));
  LEDGE_TRY(require_data_input(c, 1, "depth"));
  LEDGE_TRY(require_data_input(c, 2, "values"));
  if (c.input_dtype(0) == DType::kBool || c.input_dtype(1) == DType::kBool)
    return c.fail("indices and depth must be numeric");
  const DType dtype = c.input_dtype(2);
  if (const auto* vs = input_shape(c, 2)) {
    const int64_t n = known_numel(*vs);
    if (vs->size() != 1 || (n >= 0 && n != 2))
      return c.fail("values must be a 1-D tensor of two elements");
  }
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype);
  const int64_t rank = static_cast<int64_t>(in->size()) + 1;
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", -1), rank));
  int64_t depth = -1;
  if (const Tensor* d = known_value(c, 1)) {
    LEDGE_ASSIGN(depth, depth_of(c, *d));
  }
  std::vector<int64_t> out = *in;
  out.insert(out.begin() + axis, depth);
  return c.set_output(0, TensorType{dtype, out});
}

Status run_one_hot(KernelContext& c) {
  const Tensor& ind = c.input(0);
  const Tensor& values = c.input(2);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(int64_t depth, depth_of(c, c.input(1)));
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", -1), y.rank()));
  const int64_t outer = dims_product(ind.shape(), 0, static_cast<size_t>(axis));
  const int64_t inner = dims_product(ind.shape(), static_cast<size_t>(axis), ind.shape().size());
  return dispatch_word(y.dtype(), [&]<class W>() {
    const W off = values.data<W>()[0], on = values.data<W>()[1];
    W* py = y.data<W>();
    for (int64_t i = 0; i < y.numel(); ++i) py[i] = off;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        int64_t k = ind.as_int64(o * inner + in);
        if (k < 0) k += depth;
        if (k < 0 || k >= depth) continue;
        py[(o * depth + k) * inner + in] = on;
      }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(OneHot, ledge::infer_one_hot, ledge::run_one_hot)
