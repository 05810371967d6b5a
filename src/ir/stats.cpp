#include "ir/stats.h"

namespace ledge {

namespace {

const std::vector<int64_t>* static_shape(const Graph& g, const std::string& name) {
  auto it = g.value_types.find(name);
  if (it != g.value_types.end() && it->second.is_static()) return &*it->second.shape;
  auto init = g.initializers.find(name);
  if (init != g.initializers.end()) return &init->second.shape();
  return nullptr;
}

int64_t product(const std::vector<int64_t>& v, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < v.size(); ++i) p *= v[i];
  return p;
}

// MACs of one node, or -1 when its shapes are unknown, 0 for operators not counted.
int64_t node_macs(const Graph& g, const Node& n) {
  if (!n.domain.empty()) return 0;
  auto in = [&](size_t i) { return i < n.inputs.size() ? static_shape(g, n.inputs[i]) : nullptr; };
  auto out = [&]() { return n.outputs.empty() ? nullptr : static_shape(g, n.outputs[0]); };
  if (n.op_type == "Conv") {
    const auto *w = in(1), *y = out();
    if (!w || !y || w->size() < 2) return -1;
    return product(*y) * product(*w, 1);  // each output: Cin/group * kernel
  }
  if (n.op_type == "ConvTranspose") {
    const auto *x = in(0), *w = in(1);
    if (!x || !w || w->size() < 2) return -1;
    return product(*x) * product(*w, 1);  // each input: Cout/group * kernel
  }
  if (n.op_type == "Gemm" || n.op_type == "MatMul") {
    const auto *a = in(0), *y = out();
    if (!a || !y || a->empty()) return -1;
    int64_t k = n.op_type == "Gemm" ? 0 : a->back();
    if (n.op_type == "Gemm") {
      auto it = n.attributes.find("transA");
      const int64_t* t = it == n.attributes.end() ? nullptr : std::get_if<int64_t>(&it->second);
      k = (t && *t && a->size() == 2) ? (*a)[0] : a->back();
    }
    return product(*y) * k;
  }
  return 0;
}

void accumulate(const Graph& g, ModelStats& s) {
  for (const auto& [name, t] : g.initializers) {
    s.parameter_count += t.numel();
    s.parameter_bytes += static_cast<int64_t>(t.nbytes());
  }
  for (const auto& n : g.nodes) {
    ++s.op_histogram[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type];
    const int64_t m = node_macs(g, n);
    if (m < 0)
      ++s.nodes_without_macs;
    else
      s.macs += m;
    for (const auto& [k, v] : n.attributes) {
      if (auto sg = std::get_if<std::shared_ptr<Graph>>(&v)) {
        if (*sg) accumulate(**sg, s);
      } else if (auto sgs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&v)) {
        for (const auto& x : *sgs)
          if (x) accumulate(*x, s);
      }
    }
  }
}

}  // namespace

ModelStats compute_stats(const Graph& graph) {
  ModelStats s;
  accumulate(graph, s);
  return s;
}

}  // namespace ledge
