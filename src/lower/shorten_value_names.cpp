// Exporters name values after the layers that produce them
// ("/features/features.4/Conv_output_0_QuantizeLinear_Output"), and a value's name is
// stored once per reader and once for its type. In an artifact of a small quantized model
// those names outweigh the weights. Inside the graph a value needs only a unique name; the
// graph's inputs and outputs keep theirs (callers bind by them), and so do node names
// (profiles and errors cite them).
#include "ir/verifier.h"
#include "lower/lower.h"
#include "lower/lower_util.h"

namespace ledge {

void shorten_value_names(Graph& graph) {
  // Subgraphs read outer values by name; renaming through them is not worth it here.
  if (has_subgraphs(graph)) return;
  std::set<std::string> keep;
  for (const auto& v : graph.inputs) keep.insert(v.name);
  for (const auto& v : graph.outputs) keep.insert(v.name);
  std::map<std::string, std::string> renamed;
  size_t next = 0;
  auto short_name = [&](const std::string& v) -> std::string {
    if (v.empty() || keep.count(v)) return v;
    auto [it, fresh] = renamed.try_emplace(v);
    if (fresh) {
      do {
        it->second = "v" + std::to_string(next++);
      } while (keep.count(it->second));
    }
    return it->second;
  };
  for (Node& n : graph.nodes) {
    for (auto& v : n.inputs) v = short_name(v);
    for (auto& v : n.outputs) v = short_name(v);
  }
  std::map<std::string, Tensor> initializers;
  for (auto& [name, t] : graph.initializers) initializers[short_name(name)] = std::move(t);
  graph.initializers = std::move(initializers);
  std::map<std::string, TensorType> types;
  for (auto& [name, t] : graph.value_types) types[short_name(name)] = std::move(t);
  graph.value_types = std::move(types);
}

}  // namespace ledge
