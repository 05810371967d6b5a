// Expand: broadcasts the input against a shape (numpy-style, in both directions: a
// dimension of 1 in the shape keeps the input's).
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_expand(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  LEDGE_TRY(require_input(c, 1, "shape"));
  if (c.input_dtype(1) != DType::kInt64 && c.input_dtype(1) != DType::kUndefined)
    return c.fail("shape must be int64");
  const DType dtype = c.input_dtype(0);
  auto shape = known_ints(c, 1);
  if (!shape) {
    const auto* s = input_shape(c, 1);
    const int64_t r = c.input_rank(0);
    if (s && s->size() == 1 && (*s)[0] >= 0 && r >= 0)
      return c.set_output_unknown(0, dtype, std::max(r, (*s)[0]));
    return c.set_output_unknown(0, dtype);
  }
  for (int64_t d : *shape)
    if (d < 0) return c.fail("shape has a negative dimension " + std::to_string(d));
  const TensorType target{dtype, *shape};
  auto out = broadcast_types({&c.input_type(0), &target});
  if (!out) return c.fail(out.error().message());
  if (!*out) return c.set_output_unknown(0, dtype);
  return c.set_output(0, TensorType{dtype, std::move(*out)});
}

Status run_expand(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  return dispatch_word(x.dtype(), [&]<class W>() {
    const W* px = x.data<W>();
    W* py = y.data<W>();
    for_each_broadcast<1>(y.shape(), {&x.shape()},
                          [&](int64_t i, const std::array<int64_t, 1>& o) { py[i] = px[o[0]]; });
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Expand, ledge::infer_expand, ledge::run_expand)
