// Pad with zeros before a Conv becomes the Conv's own padding (exporters emit an explicit
// Pad for asymmetric "SAME" padding, and TensorFlow's Conv2D with explicit paddings).
#include "passes/graph_editor.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ledge {

namespace {

// The pads of a zero constant Pad node ([begin..., end...]), or nullopt.
std::optional<std::vector<int64_t>> zero_pads(GraphEditor& ed, const Node& pad, int64_t opset) {
  if (attr_string(pad, "mode").value_or("constant") != "constant") return std::nullopt;
  if (opset < 2) return std::nullopt;  // Pad-1 names its attributes differently
  if (opset < 11) {
    if (attr_float(pad, "value").value_or(0.f) != 0.f) return std::nullopt;
    return attr_ints(pad, "pads");
  }
  if (pad.inputs.size() < 2 || pad.inputs.size() > 3) return std::nullopt;  // 4th: axes
  const Tensor* pads = ed.constant(pad.inputs[1]);
  if (!pads || pads->dtype() != DType::kInt64 || pads->rank() != 1) return std::nullopt;
  if (pad.inputs.size() == 3 && !pad.inputs[2].empty()) {
    const Tensor* value = ed.constant(pad.inputs[2]);
    if (!value || value->numel() != 1 || value->as_double(0) != 0.0) return std::nullopt;
  }
  return pads->to_int64_vector();
}

bool fold(GraphEditor& ed, size_t i, int64_t opset) {
  Node& conv = ed.node(i);
  if (!is_op(conv, "Conv") || conv.inputs.empty()) return false;
  if (attr_string(conv, "auto_pad").value_or("NOTSET") != "NOTSET") return false;
  const std::string padded = conv.inputs[0];
  const size_t p = ed.producer(padded);
  if (p == GraphEditor::kNone || !ed.only_read_by(padded, i)) return false;
  const Node& pad = ed.node(p);
  if (!is_op(pad, "Pad") || pad.inputs.empty() || pad.outputs.size() != 1) return false;
  auto pads = zero_pads(ed, pad, opset);
  if (!pads || pads->size() % 2 != 0 || pads->size() < 6) return false;
  const size_t rank = pads->size() / 2;
  for (int64_t v : *pads)
    if (v < 0) return false;  // negative pads crop
  if ((*pads)[0] || (*pads)[1] || (*pads)[rank] || (*pads)[rank + 1]) return false;
  const size_t spatial = rank - 2;
  std::vector<int64_t> conv_pads =
      attr_ints(conv, "pads").value_or(std::vector<int64_t>(2 * spatial, 0));
  if (conv_pads.size() != 2 * spatial) return false;
  for (size_t k = 0; k < spatial; ++k) {
    conv_pads[k] += (*pads)[2 + k];
    conv_pads[spatial + k] += (*pads)[rank + 2 + k];
  }
  const std::string x = pad.inputs[0];
  conv.attributes["pads"] = conv_pads;
  ed.remove_node(p);
  ed.set_input(i, 0, x);
  ed.graph().value_types.erase(padded);
  return true;
}

}  // namespace

Expected<int64_t> fold_pad(Model& model) {
  GraphEditor ed(model.graph, refresh_types(model));
  const int64_t opset = model.opset("");
  int64_t folded = 0;
  for (size_t i = 0; i < ed.size(); ++i)
    if (!ed.removed(i) && fold(ed, i, opset)) ++folded;
  ed.commit();
  return folded;
}

}  // namespace ledge
