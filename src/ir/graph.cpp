#include "ir/graph.h"

namespace ledge {

bool TensorType::is_static() const {
  if (!shape) return false;
  for (int64_t d : *shape)
    if (d < 0) return false;
  return true;
}

std::string TensorType::to_string() const {
  std::string s(dtype_name(dtype));
  if (!shape) return s + "[?]";
  return s + "[" + (shape->empty() ? std::string() : shape_to_string(*shape)) + "]";
}

bool Node::has_subgraph() const {
  for (const auto& [k, v] : attributes)
    if (std::holds_alternative<std::shared_ptr<Graph>>(v) ||
        std::holds_alternative<std::vector<std::shared_ptr<Graph>>>(v))
      return true;
  return false;
}

std::string Node::label() const {
  return (name.empty() ? std::string("unnamed") : "'" + name + "'") + " (" +
         (domain.empty() ? op_type : domain + "." + op_type) + ")";
}

const ValueInfo* Graph::find_input(const std::string& n) const {
  for (const auto& v : inputs)
    if (v.name == n) return &v;
  return nullptr;
}

int64_t Model::opset(const std::string& domain) const {
  auto it = opsets.find(domain == "ai.onnx" ? std::string() : domain);
  return it == opsets.end() ? 0 : it->second;
}

}  // namespace ledge
