// Constant: a tensor given by one of the attributes value, value_float(s), value_int(s).
// Sparse and string constants are not supported.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Expected<Tensor> constant_value(const NodeContext& c) {
  int given = 0;
  for (const char* name : {"value", "sparse_value", "value_float", "value_floats", "value_int",
                           "value_ints", "value_string", "value_strings"})
    given += c.has_attr(name) ? 1 : 0;
  if (given != 1) return c.fail("needs exactly one value attribute");
  if (c.has_attr("sparse_value")) return c.fail_unsupported("sparse constants are not supported");
  if (c.has_attr("value_string") || c.has_attr("value_strings"))
    return c.fail_unsupported("string constants are not supported");
  if (c.has_attr("value")) {
    const Tensor* t = c.attr_tensor("value");
    if (!t) return c.fail("attribute 'value' is not a tensor");
    if (!dtype_is_storable(t->dtype()))
      return c.fail_unsupported("constants of element type " + std::string(dtype_name(t->dtype())) +
                                " are not supported");
    return *t;
  }
  if (c.has_attr("value_float"))
    return Tensor::from_vector<float>({c.attr_float("value_float")}, {});
  if (c.has_attr("value_int")) return Tensor::from_vector<int64_t>({c.attr_int("value_int")}, {});
  if (c.has_attr("value_floats")) {
    const auto v = c.attr_floats("value_floats");
    return Tensor::from_vector<float>(v, {static_cast<int64_t>(v.size())});
  }
  const auto v = c.attr_ints("value_ints");
  return Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())});
}

Status infer_constant(InferContext& c) {
  LEDGE_ASSIGN(Tensor t, constant_value(c));
  return c.set_output(0, t.dtype(), t.shape());
}

Status run_constant(KernelContext& c) {
  LEDGE_ASSIGN(Tensor t, constant_value(c));
  c.set_output(0, std::move(t));
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Constant, ledge::infer_constant, ledge::run_constant)
