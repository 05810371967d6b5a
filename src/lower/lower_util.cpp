#include "lower/lower_util.h"

#include <algorithm>
#include <cstring>

#include "ir/verifier.h"
#include "kernels/transpose.h"

namespace ledge {

NameMaker::NameMaker(const Graph& graph) {
  for (const auto& i : graph.inputs) used_.insert(i.name);
  for (const auto& [n, t] : graph.initializers) used_.insert(n);
  for (const auto& n : graph.nodes) {
    for (const auto& o : n.outputs) used_.insert(o);
    if (!n.name.empty()) used_.insert(n.name);
  }
}

std::string NameMaker::make(const std::string& base) {
  std::string name = base;
  for (int i = 1; used_.count(name); ++i) name = base + "_" + std::to_string(i);
  used_.insert(name);
  return name;
}

bool has_subgraphs(const Graph& graph) {
  return std::any_of(graph.nodes.begin(), graph.nodes.end(),
                     [](const Node& n) { return n.has_subgraph(); });
}

GraphIndex index_graph(const Graph& graph) {
  GraphIndex index;
  for (const Node& n : graph.nodes) {
    for (const auto& o : n.outputs) index.producer[o] = &n;
    for (const auto& r : node_reads(n)) index.readers[r].push_back(&n);
  }
  for (const auto& o : graph.outputs) index.graph_outputs.insert(o.name);
  return index;
}

const Node* GraphIndex::producer_of(const std::string& value) const {
  auto it = producer.find(value);
  return it == producer.end() ? nullptr : it->second;
}

const Node* GraphIndex::sole_reader(const std::string& value) const {
  auto it = readers.find(value);
  if (graph_outputs.count(value) || it == readers.end() || it->second.size() != 1) return nullptr;
  return it->second[0];
}

bool per_tensor_quantization(const Graph& graph, const Node& node) {
  if (node.inputs.size() < 2 || node.outputs.size() != 1) return false;
  const Tensor* scale = find_initializer(graph, node.inputs[1]);
  if (!scale || scale->numel() != 1 || scale->dtype() != DType::kFloat32) return false;
  if (node.inputs.size() < 3 || node.inputs[2].empty()) return true;
  const Tensor* zero = find_initializer(graph, node.inputs[2]);
  return zero && zero->numel() == 1 &&
         (zero->dtype() == DType::kUInt8 || zero->dtype() == DType::kInt8);
}

std::map<std::string, int> count_reads(const Graph& graph) {
  std::map<std::string, int> reads;
  for (const Node& n : graph.nodes) {
    for (const auto& r : n.inputs)
      if (!r.empty()) ++reads[r];
    // Captured values of subgraphs count too (node_reads includes them).
    for (const auto& r : node_reads(n))
      if (std::find(n.inputs.begin(), n.inputs.end(), r) == n.inputs.end()) ++reads[r];
  }
  for (const auto& o : graph.outputs) ++reads[o.name];
  return reads;
}

const Shape* static_shape(const Graph& graph, const std::string& name) {
  if (auto it = graph.initializers.find(name); it != graph.initializers.end())
    return &it->second.shape();
  auto it = graph.value_types.find(name);
  if (it == graph.value_types.end() || !it->second.is_static()) return nullptr;
  return &*it->second.shape;
}

DType value_dtype(const Graph& graph, const std::string& name) {
  if (auto it = graph.initializers.find(name); it != graph.initializers.end())
    return it->second.dtype();
  auto it = graph.value_types.find(name);
  return it == graph.value_types.end() ? DType::kUndefined : it->second.dtype;
}

const Tensor* find_initializer(const Graph& graph, const std::string& name) {
  auto it = graph.initializers.find(name);
  return it == graph.initializers.end() ? nullptr : &it->second;
}

float attr_as_float(const Node& node, const std::string& name, float def) {
  auto it = node.attributes.find(name);
  if (it == node.attributes.end()) return def;
  if (auto f = std::get_if<float>(&it->second)) return *f;
  if (auto i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  return def;
}

int64_t attr_as_int(const Node& node, const std::string& name, int64_t def) {
  auto it = node.attributes.find(name);
  if (it == node.attributes.end()) return def;
  if (auto i = std::get_if<int64_t>(&it->second)) return *i;
  return def;
}

std::vector<int64_t> attr_as_ints(const Node& node, const std::string& name) {
  auto it = node.attributes.find(name);
  if (it == node.attributes.end()) return {};
  if (auto v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  return {};
}

Expected<Tensor> transpose_tensor(const Tensor& t, const std::vector<size_t>& perm) {
  Shape out_shape(perm.size());
  std::vector<int64_t> p(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] >= t.shape().size()) return invalid_argument("bad permutation");
    out_shape[i] = t.shape()[perm[i]];
    p[i] = static_cast<int64_t>(perm[i]);
  }
  auto plan = plan_transpose(t.shape(), p, dtype_size(t.dtype()));
  if (!plan) return invalid_argument("bad permutation");
  LEDGE_ASSIGN(Tensor out, Tensor::make(t.dtype(), out_shape));
  if (out.numel() > 0) run_transpose(*plan, t.raw(), out.raw(), nullptr);
  return out;
}

}  // namespace ledge
