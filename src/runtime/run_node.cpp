#include "runtime/run_node.h"

namespace ledge {

Expected<std::vector<Tensor>> run_node(const OpKernel& op, const Node& node, int64_t opset,
                                       const std::vector<const Tensor*>& inputs,
                                       const SubgraphRunner* runner) {
  std::vector<TensorType> types(inputs.size());
  std::vector<const TensorType*> type_ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) continue;
    types[i] = TensorType{inputs[i]->dtype(), inputs[i]->shape()};
    type_ptrs[i] = &types[i];
  }
  InferContext ic(node, opset, type_ptrs, inputs, node.outputs.size());
  Status st = op.infer(ic);
  if (ic.attr_error()) return *ic.attr_error();
  if (!st.ok()) return std::move(st).error();

  std::vector<Tensor> outputs(node.outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const TensorType& t = ic.outputs()[i];
    if (t.dtype == DType::kUndefined || !t.is_static()) continue;
    auto out = Tensor::make(t.dtype, *t.shape);
    if (!out) return std::move(out).error().with_context("node " + node.label());
    outputs[i] = std::move(out).value();
  }
  KernelContext kc(node, opset, inputs, &outputs, runner);
  LEDGE_TRY(op.run(kc));
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (node.outputs[i].empty()) continue;
    const TensorType& t = ic.outputs()[i];
    if (!outputs[i].defined())
      return invalid_model("node " + node.label() + " declares output " + std::to_string(i) +
                           ", which the operator does not produce");
    if (t.dtype != DType::kUndefined && outputs[i].dtype() != t.dtype)
      return internal_error("node " + node.label() + " produced " +
                            std::string(dtype_name(outputs[i].dtype())) + " for output " +
                            std::to_string(i) + ", inferred " + std::string(dtype_name(t.dtype)));
    if (t.is_static() && outputs[i].shape() != *t.shape)
      return internal_error("node " + node.label() + " produced shape " +
                            shape_to_string(outputs[i].shape()) + " for output " +
                            std::to_string(i) + ", inferred " + shape_to_string(*t.shape));
  }
  return outputs;
}

}  // namespace ledge
