// Dead code elimination: what no output depends on goes.
#include <set>

#include "ir/verifier.h"
#include "passes/passes.h"

namespace ledge {

namespace {

// Removes the dead nodes and initializers of `graph` and of its subgraphs; returns the
// number of nodes removed. Subgraphs go first so that what they stop reading from this
// graph can die here too.
int64_t eliminate(Graph& graph) {
  int64_t removed = 0;
  for (auto& node : graph.nodes)
    for (auto& [k, v] : node.attributes) {
      if (auto g = std::get_if<std::shared_ptr<Graph>>(&v)) {
        if (*g) removed += eliminate(**g);
      } else if (auto gs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&v)) {
        for (auto& sg : *gs)
          if (sg) removed += eliminate(*sg);
      }
    }

  std::set<std::string> live;
  for (const auto& o : graph.outputs) live.insert(o.name);
  std::vector<bool> keep(graph.nodes.size(), false);
  for (size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& node = graph.nodes[i];
    for (const auto& o : node.outputs)
      if (!o.empty() && live.count(o)) keep[i] = true;
    if (!keep[i]) continue;
    for (const auto& r : node_reads(node)) live.insert(r);
  }
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (keep[i]) {
      kept.push_back(std::move(graph.nodes[i]));
    } else {
      for (const auto& o : graph.nodes[i].outputs) graph.value_types.erase(o);
      ++removed;
    }
  }
  graph.nodes = std::move(kept);

  // Initializers that are also inputs belong to the graph's interface and stay.
  std::set<std::string> inputs;
  for (const auto& in : graph.inputs) inputs.insert(in.name);
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
    if (live.count(it->first) || inputs.count(it->first)) {
      ++it;
    } else {
      graph.value_types.erase(it->first);
      it = graph.initializers.erase(it);
    }
  }
  return removed;
}

}  // namespace

Expected<int64_t> eliminate_dead_code(Model& model) { return eliminate(model.graph); }

}  // namespace ledge
