// Quantized models carry many tiny constants with equal values: the scale and zero point of
// a tensor repeated for each node that reads it, the same zero point for every weight. An
// artifact stores each initializer with its own name, table and 64-byte aligned block, so
// equal small constants become one.
#include <set>
#include <string>

#include "lower/lower.h"
#include "lower/lower_util.h"

namespace ledge {

namespace {

constexpr size_t kSmall = 256;  // bytes; weights are never shared this way

std::string key_of(const Tensor& t) {
  std::string key =
      std::to_string(static_cast<int>(t.dtype())) + ":" + shape_to_string(t.shape()) + ":";
  key.append(static_cast<const char*>(t.raw()), t.nbytes());
  return key;
}

}  // namespace

void share_equal_constants(Graph& graph) {
  if (has_subgraphs(graph)) return;  // they may read outer constants by name
  std::set<std::string> interface;
  for (const auto& v : graph.inputs) interface.insert(v.name);
  for (const auto& v : graph.outputs) interface.insert(v.name);
  std::map<std::string, std::string> first;  // value key → the name that stays
  std::map<std::string, std::string> alias;  // dropped name → the name that stays
  for (const auto& [name, t] : graph.initializers) {
    if (interface.count(name) || t.nbytes() > kSmall || t.dtype() == DType::kString) continue;
    auto [it, fresh] = first.try_emplace(key_of(t), name);
    if (!fresh) alias[name] = it->second;
  }
  if (alias.empty()) return;
  for (Node& n : graph.nodes)
    for (auto& in : n.inputs)
      if (auto it = alias.find(in); it != alias.end()) in = it->second;
  for (const auto& [name, kept] : alias) graph.initializers.erase(name);
}

}  // namespace ledge
