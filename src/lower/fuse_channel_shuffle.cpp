// Recognizes the channel shuffle written as Reshape [N, C, H, W] → [N, g, C/g, H, W],
// Transpose (0, 2, 1, 3, 4), Reshape back to [N, C, H, W], and replaces the three nodes
// by one ledge.ChannelShuffle, which the NHWC conversion can then keep in NHWC.
#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/lowered_common.h"

namespace ledge {

namespace {

bool is(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

}  // namespace

Status fuse_channel_shuffle(Graph& g) {
  const auto reads = count_reads(g);
  std::map<std::string, size_t> consumer;  // value → its only reader
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& r : g.nodes[i].inputs)
      if (!r.empty()) consumer[r] = i;
  std::vector<bool> removed(g.nodes.size(), false);
  auto single_reader = [&](const std::string& v) -> std::optional<size_t> {
    auto r = reads.find(v);
    if (r == reads.end() || r->second != 1 || !consumer.count(v)) return std::nullopt;
    return consumer.at(v);
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& r1 = g.nodes[i];
    if (removed[i] || !is(r1, "Reshape") || r1.outputs.size() != 1) continue;
    const Shape* in = static_shape(g, r1.inputs[0]);
    const Shape* mid = static_shape(g, r1.outputs[0]);
    if (!in || !mid || in->size() != 4 || mid->size() != 5) continue;
    const int64_t groups = (*mid)[1];
    if ((*mid)[0] != (*in)[0] || groups * (*mid)[2] != (*in)[1] || (*mid)[3] != (*in)[2] ||
        (*mid)[4] != (*in)[3])
      continue;
    auto t_idx = single_reader(r1.outputs[0]);
    if (!t_idx || !is(g.nodes[*t_idx], "Transpose")) continue;
    const Node& t = g.nodes[*t_idx];
    if (attr_as_ints(t, "perm") != std::vector<int64_t>{0, 2, 1, 3, 4}) continue;
    auto r2_idx = single_reader(t.outputs[0]);
    if (!r2_idx || !is(g.nodes[*r2_idx], "Reshape")) continue;
    Node& r2 = g.nodes[*r2_idx];
    const Shape* out = static_shape(g, r2.outputs[0]);
    if (!out || *out != *in) continue;
    Node cs;
    cs.name = r2.name;
    cs.op_type = "ChannelShuffle";
    cs.domain = kLoweredDomain;
    cs.inputs = {r1.inputs[0]};
    cs.outputs = r2.outputs;
    cs.attributes["groups"] = groups;
    cs.attributes["axis"] = int64_t{1};
    removed[i] = removed[*t_idx] = true;
    r2 = std::move(cs);  // the last of the three: its inputs are all computed by then
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  return Status();
}

}  // namespace ledge
