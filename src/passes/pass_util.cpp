#include "passes/pass_util.h"

#include "runtime/infer_types.h"

namespace ledge {

bool refresh_types(Model& model) { return infer_types(model.graph, model.opset("")).ok(); }

namespace {

template <class T>
std::optional<T> get(const Node& node, const std::string& name) {
  auto it = node.attributes.find(name);
  if (it == node.attributes.end()) return std::nullopt;
  if (auto p = std::get_if<T>(&it->second)) return *p;
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> attr_int(const Node& node, const std::string& name) {
  return get<int64_t>(node, name);
}
std::optional<float> attr_float(const Node& node, const std::string& name) {
  return get<float>(node, name);
}
std::optional<std::string> attr_string(const Node& node, const std::string& name) {
  return get<std::string>(node, name);
}
std::optional<std::vector<int64_t>> attr_ints(const Node& node, const std::string& name) {
  return get<std::vector<int64_t>>(node, name);
}

Tensor int64_tensor(const std::vector<int64_t>& values) {
  return Tensor::from_vector<int64_t>(values, {static_cast<int64_t>(values.size())});
}

}  // namespace ledge
