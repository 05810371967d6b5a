// Folds a clamp-shaped activation (Relu, Relu6 written as Clip, Clip with constant bounds)
// into the NhwcConv, FullyConnected or float Add (then ledge.FusedAdd) that feeds it, and a
// HardSwish into the NhwcConv or FullyConnected that feeds it, when nothing else reads the
// unactivated value: the kernel applies it while the result is still in registers, where a
// separate node read and wrote the whole tensor again (mobilenet_v3_small has 19 HardSwish).
#include <limits>

#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/lowered_common.h"

namespace ledge {

namespace {

// The clamp range of an activation node, if it is one.
std::optional<std::pair<float, float>> clamp_range(const Graph& g, const Node& n, int64_t opset) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (!n.domain.empty() || n.inputs.empty() || n.outputs.size() != 1) return std::nullopt;
  if (n.op_type == "Relu") return std::pair{0.f, kInf};
  if (n.op_type != "Clip") return std::nullopt;
  if (opset < 11) return std::pair{attr_as_float(n, "min", -kInf), attr_as_float(n, "max", kInf)};
  float bounds[2] = {-kInf, kInf};
  for (size_t i = 1; i < 3 && i < n.inputs.size(); ++i) {
    if (n.inputs[i].empty()) continue;
    const Tensor* t = find_initializer(g, n.inputs[i]);
    if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return std::nullopt;
    bounds[i - 1] = t->data<float>()[0];
  }
  return std::pair{bounds[0], bounds[1]};
}

}  // namespace

Status fuse_activations(Graph& g, int64_t opset) {
  const auto reads = count_reads(g);
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& o : g.nodes[i].outputs) producer[o] = i;
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& act = g.nodes[i];
    const bool hard_swish = act.domain.empty() && act.op_type == "HardSwish" &&
                            act.inputs.size() == 1 && act.outputs.size() == 1;
    auto range = hard_swish ? std::nullopt : clamp_range(g, act, opset);
    if (!hard_swish && (!range || range->first > range->second)) continue;
    auto p = producer.find(act.inputs[0]);
    if (p == producer.end() || removed[p->second]) continue;
    Node& prod = g.nodes[p->second];
    const bool float_add = prod.domain.empty() && prod.op_type == "Add" &&
                           value_dtype(g, act.inputs[0]) == DType::kFloat32;
    if (!float_add && (prod.domain != kLoweredDomain ||
                       (prod.op_type != "NhwcConv" && prod.op_type != "FullyConnected")))
      continue;
    if (hard_swish && float_add) continue;  // XNNPACK's add only clamps
    // A fused HardSwish is the last step: nothing after it folds into the clamp before it.
    if (attr_as_int(prod, "activation_hard_swish", 0) != 0) continue;
    auto r = reads.find(act.inputs[0]);
    if (r == reads.end() || r->second != 1) continue;
    if (float_add) {  // a residual Add: XNNPACK's add clamps too
      prod.op_type = "FusedAdd";
      prod.domain = kLoweredDomain;
    }
    if (hard_swish) {
      prod.attributes["activation_hard_swish"] = int64_t{1};
    } else {
      const float lo = std::max(attr_as_float(prod, "activation_min", range->first), range->first);
      const float hi =
          std::min(attr_as_float(prod, "activation_max", range->second), range->second);
      prod.attributes["activation_min"] = lo;
      prod.attributes["activation_max"] = hi;
    }
    prod.outputs[0] = act.outputs[0];
    producer[act.outputs[0]] = p->second;
    removed[i] = true;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  return Status();
}

}  // namespace ledge
