// x * HardSigmoid(x), with HardSigmoid's alpha 1/6 and beta 1/2, is HardSwish(x): exporters
// for opsets before 14 (which has no HardSwish) write MobileNetV3's activation this way.
// One node instead of two halves the passes over the data and drops the intermediate
// tensor. Only when nothing else reads the HardSigmoid. (HardSwish is an ONNX operator
// since opset 14; in a lowered graph, which is not exported, it serves any opset.)
#include <cmath>

#include "lower/lower.h"
#include "lower/lower_util.h"

namespace ledge {

namespace {

bool is_hard_sigmoid_of_hard_swish(const Node& n) {
  if (!n.domain.empty() || n.op_type != "HardSigmoid" || n.inputs.size() != 1 ||
      n.outputs.size() != 1)
    return false;
  // HardSwish(x) = x * max(0, min(1, x / 6 + 1 / 2)); the exporter writes alpha as the float
  // nearest 1/6.
  return std::fabs(attr_as_float(n, "alpha", 0.2f) - 1.f / 6.f) < 1e-7f &&
         attr_as_float(n, "beta", 0.5f) == 0.5f;
}

}  // namespace

void fuse_hard_swish(Graph& g) {
  const auto reads = count_reads(g);
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& o : g.nodes[i].outputs) producer[o] = i;
  std::vector<bool> removed(g.nodes.size(), false);
  for (Node& mul : g.nodes) {
    if (!mul.domain.empty() || mul.op_type != "Mul" || mul.inputs.size() != 2 ||
        mul.outputs.size() != 1)
      continue;
    for (int side = 0; side < 2; ++side) {
      const std::string& gate = mul.inputs[static_cast<size_t>(side)];
      const std::string& x = mul.inputs[static_cast<size_t>(1 - side)];
      auto p = producer.find(gate);
      if (p == producer.end() || removed[p->second]) continue;
      const Node& hs = g.nodes[p->second];
      if (!is_hard_sigmoid_of_hard_swish(hs) || hs.inputs[0] != x) continue;
      if (auto r = reads.find(gate); r == reads.end() || r->second != 1) continue;
      if (value_dtype(g, x) != DType::kFloat32) continue;
      removed[p->second] = true;
      mul.op_type = "HardSwish";
      mul.inputs = {x};
      mul.attributes.clear();
      break;
    }
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

}  // namespace ledge
