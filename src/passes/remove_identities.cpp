// Removes nodes whose output is their input.
#include "passes/graph_editor.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ledge {

namespace {

// Dropout is the identity at inference, unless training is asked for: by the training_mode
// input (opset 12+; only a constant false is sure) or, before opset 7, by is_test = 0.
bool is_inference_dropout(GraphEditor& ed, const Node& node, int64_t opset) {
  if (opset < 7 && attr_int(node, "is_test").value_or(0) == 0) return false;
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    const Tensor* training = ed.constant(node.inputs[2]);
    if (!training || training->dtype() != DType::kBool || training->numel() != 1 ||
        training->data<bool>()[0])
      return false;
  }
  return true;
}

bool same_static_shape(GraphEditor& ed, const Node& node) {
  const TensorType* in = ed.type(node.inputs[0]);
  const TensorType* out = ed.type(node.outputs[0]);
  return in && out && in->is_static() && out->is_static() && *in->shape == *out->shape &&
         in->dtype == out->dtype;
}

bool is_identity_perm(const Node& node, const TensorType* in) {
  auto perm = attr_ints(node, "perm");
  if (!perm) return in && in->shape && in->shape->size() <= 1;  // the default reverses
  for (size_t k = 0; k < perm->size(); ++k)
    if ((*perm)[k] != static_cast<int64_t>(k)) return false;
  return true;
}

// True when node i returns its input 0 unchanged as output 0.
bool is_identity(GraphEditor& ed, size_t i, int64_t opset) {
  const Node& node = ed.node(i);
  if (!node.domain.empty() || node.inputs.empty() || node.outputs.empty() ||
      node.inputs[0].empty() || node.outputs[0].empty())
    return false;
  const std::string& op = node.op_type;
  if (op == "Identity") return true;
  if (op == "Dropout") return is_inference_dropout(ed, node, opset);
  if (op == "Cast") {
    const TensorType* in = ed.type(node.inputs[0]);
    auto to = attr_int(node, "to");
    return in && to && in->dtype != DType::kUndefined && static_cast<int64_t>(in->dtype) == *to;
  }
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze")
    return same_static_shape(ed, node);
  if (op == "Transpose") return is_identity_perm(node, ed.type(node.inputs[0]));
  return false;
}

}  // namespace

Expected<int64_t> remove_identities(Model& model) {
  GraphEditor ed(model.graph, refresh_types(model));
  const int64_t opset = model.opset("");
  int64_t removed = 0;
  for (size_t i = 0; i < ed.size(); ++i)
    if (is_identity(ed, i, opset) && ed.bypass(i, 0, 0)) ++removed;
  ed.commit();
  return removed;
}

}  // namespace ledge
