// Nodes whose outputs infer_types already evaluated become initializers. In a file of its own:
// sessions call it when they plan for the shapes fed, and ledge-run-small, which runs
// prepared artifacts only, links it without the rest of the lowering.
#include "lower/lower.h"

namespace ledge {

void fold_known_values(Graph& graph, const std::map<std::string, Tensor>& known) {
  std::vector<Node> kept;
  for (Node& n : graph.nodes) {
    bool all = !n.outputs.empty();
    for (const auto& o : n.outputs) all = all && !o.empty() && known.count(o);
    if (all) {
      for (const auto& o : n.outputs) graph.initializers[o] = known.at(o);
      continue;
    }
    kept.push_back(std::move(n));
  }
  graph.nodes = std::move(kept);
}

}  // namespace ledge
