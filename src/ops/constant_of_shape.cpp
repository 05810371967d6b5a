// ConstantOfShape: a tensor of the given shape filled with the one element of 'value'
// (float32 0 by default).
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Expected<DType> fill_type(const NodeContext& c) {
  if (!c.has_attr("value")) return DType::kFloat32;
  const Tensor* v = c.attr_tensor("value");
  if (!v) return c.fail("attribute 'value' is not a tensor");
  if (!dtype_is_storable(v->dtype()))
    return c.fail_unsupported("value of element type " + std::string(dtype_name(v->dtype())) +
                              " is not supported");
  if (v->numel() != 1) return c.fail("attribute 'value' must have exactly one element");
  return v->dtype();
}

Status infer_constant_of_shape(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "shape"));
  if (c.input_dtype(0) != DType::kInt64 && c.input_dtype(0) != DType::kUndefined)
    return c.fail("shape must be int64");
  LEDGE_ASSIGN(DType dtype, fill_type(c));
  if (auto shape = known_ints(c, 0)) {
    for (int64_t d : *shape)
      if (d < 0) return c.fail("shape has a negative dimension " + std::to_string(d));
    return c.set_output(0, dtype, *shape);
  }
  const auto* s = input_shape(c, 0);
  if (s && s->size() == 1 && (*s)[0] >= 0) return c.set_output_unknown(0, dtype, (*s)[0]);
  return c.set_output_unknown(0, dtype);
}

Status run_constant_of_shape(KernelContext& c) {
  Tensor& y = c.output(0);
  const Tensor* v = c.attr_tensor("value");
  if (!v) return Status();  // zeros, already
  const size_t esz = dtype_size(y.dtype());
  auto* py = static_cast<uint8_t*>(y.raw());
  for (int64_t i = 0; i < y.numel(); ++i)
    std::memcpy(py + i * static_cast<int64_t>(esz), v->raw(), esz);
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(ConstantOfShape, ledge::infer_constant_of_shape, ledge::run_constant_of_shape)
