#include "lower/lower.h"

#include <set>

#include "ir/verifier.h"
#include "passes/optimize.h"
#include "runtime/infer_types.h"

namespace ledge {

Status prepare_for_cpu(Model& model) {
  const int64_t opset = model.opset("");
  std::map<std::string, Tensor> known;
  LEDGE_TRY(infer_types(model.graph, opset, &known));
  // Quantized patterns read their parameters (and Clip bounds) from initializers.
  constants_to_initializers(model.graph);
  LEDGE_TRY(fuse_quantized_ops(model.graph));
  fuse_quantized_lookups(model.graph, opset);
  fold_known_values(model.graph, known);
  LEDGE_TRY(optimize_model(model).status());
  LEDGE_TRY(infer_types(model.graph, opset));
  LEDGE_TRY(lower_for_cpu(model));
  LEDGE_TRY(verify_graph(model.graph));
  LEDGE_TRY(infer_types(model.graph, opset));
  model.prepared_for_cpu = true;
  return Status();
}

Status lower_for_cpu(Model& model) {
  Graph& g = model.graph;
  constants_to_initializers(g);
  LEDGE_TRY(lower_fully_connected(g));
  LEDGE_TRY(fuse_channel_shuffle(g));
  fuse_hard_swish(g);
  LEDGE_TRY(convert_to_nhwc(g));
  fuse_quantized_pools(g);
  LEDGE_TRY(fuse_activations(g, model.opset("")));
  prepack_int8_weights(g);
  share_equal_constants(g);
  drop_unused_initializers(g);
  return Status();
}

void constants_to_initializers(Graph& graph) {
  std::vector<Node> kept;
  for (Node& n : graph.nodes) {
    // Identity of a weight (exporters write these for shared parameters): the weight itself.
    if (n.domain.empty() && n.op_type == "Identity" && n.inputs.size() == 1 &&
        n.outputs.size() == 1 && graph.initializers.count(n.inputs[0]) &&
        !graph.initializers.count(n.outputs[0])) {
      graph.initializers[n.outputs[0]] = graph.initializers.at(n.inputs[0]);
      continue;
    }
    auto it = n.attributes.find("value");
    if (n.domain.empty() && n.op_type == "Constant" && n.outputs.size() == 1 &&
        n.attributes.size() == 1 && it != n.attributes.end() &&
        std::holds_alternative<Tensor>(it->second) && !graph.initializers.count(n.outputs[0])) {
      graph.initializers[n.outputs[0]] = std::get<Tensor>(it->second);
      continue;
    }
    kept.push_back(std::move(n));
  }
  graph.nodes = std::move(kept);
}

void drop_unused_initializers(Graph& graph) {
  std::set<std::string> used;
  for (const Node& n : graph.nodes)
    for (const auto& r : node_reads(n)) used.insert(r);
  for (const auto& o : graph.outputs) used.insert(o.name);
  for (const auto& i : graph.inputs) used.insert(i.name);
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();)
    it = used.count(it->first) ? std::next(it) : graph.initializers.erase(it);
}

}  // namespace ledge
