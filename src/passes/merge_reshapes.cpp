// Reshape, Flatten, Squeeze and Unsqueeze change only the shape, never the order of the
// elements, so a chain of them is one Reshape to the last shape.
#include "passes/graph_editor.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ledge {

namespace {

bool is_reshape_like(const Node& n) {
  return n.domain.empty() && (n.op_type == "Reshape" || n.op_type == "Flatten" ||
                              n.op_type == "Squeeze" || n.op_type == "Unsqueeze");
}

// Reshape's target does not depend on its input's shape: constant, without 0 ("copy that
// dimension of the input") unless allowzero makes 0 literal.
bool has_standalone_target(GraphEditor& ed, const Node& reshape) {
  if (!is_op(reshape, "Reshape") || reshape.inputs.size() != 2) return false;
  const Tensor* shape = ed.constant(reshape.inputs[1]);
  if (!shape || shape->dtype() != DType::kInt64) return false;
  if (attr_int(reshape, "allowzero").value_or(0) != 0) return true;
  for (int64_t d : shape->to_int64_vector())
    if (d == 0) return false;
  return true;
}

bool merge(GraphEditor& ed, size_t i) {
  Node& second = ed.node(i);
  if (!is_reshape_like(second) || second.inputs.empty() || second.outputs.size() != 1) return false;
  const std::string y = second.inputs[0];
  const size_t p = ed.producer(y);
  if (p == GraphEditor::kNone || !ed.only_read_by(y, i)) return false;
  const Node& first = ed.node(p);
  if (!is_reshape_like(first) || first.inputs.empty() || first.inputs[0].empty() ||
      first.outputs.size() != 1)
    return false;
  const std::string x = first.inputs[0];
  const std::string z = second.outputs[0];
  const TensorType* tz = ed.type(z);
  if (tz && tz->is_static()) {
    const std::vector<int64_t>& dims = *tz->shape;
    for (int64_t d : dims)
      if (d == 0) return false;  // would need allowzero
    ed.remove_node(p);
    const std::string shape = ed.add_initializer(z + "_shape", int64_tensor(dims));
    ed.set_inputs(i, {x, shape});
    second.op_type = "Reshape";
    second.attributes.clear();
    const TensorType* tx = ed.type(x);
    if (tx && tx->is_static() && *tx->shape == dims) ed.bypass(i, 0, 0);
  } else if (has_standalone_target(ed, second)) {
    ed.remove_node(p);
    ed.set_input(i, 0, x);
  } else {
    return false;
  }
  ed.graph().value_types.erase(y);
  return true;
}

}  // namespace

Expected<int64_t> merge_reshapes(Model& model) {
  if (model.opset("") < 5) return int64_t{0};  // Reshape takes its shape as an input from 5
  GraphEditor ed(model.graph, refresh_types(model));
  int64_t merged = 0;
  for (size_t i = 0; i < ed.size(); ++i)
    if (!ed.removed(i) && merge(ed, i)) ++merged;
  ed.commit();
  return merged;
}

}  // namespace ledge
