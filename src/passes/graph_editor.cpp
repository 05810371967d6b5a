#include "passes/graph_editor.h"

#include <algorithm>

#include "ir/verifier.h"

namespace ledge {

namespace {

void collect_names(const Graph& g, std::set<std::string>& names) {
  for (const auto& v : g.inputs) names.insert(v.name);
  for (const auto& v : g.outputs) names.insert(v.name);
  for (const auto& [name, t] : g.initializers) names.insert(name);
  for (const auto& n : g.nodes) {
    for (const auto& o : n.outputs) names.insert(o);
    for (const auto& [k, v] : n.attributes) {
      if (auto sg = std::get_if<std::shared_ptr<Graph>>(&v)) {
        if (*sg) collect_names(**sg, names);
      } else if (auto sgs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&v)) {
        for (const auto& s : *sgs)
          if (s) collect_names(*s, names);
      }
    }
  }
}

}  // namespace

GraphEditor::GraphEditor(Graph& graph, bool types_known)
    : graph_(graph), types_known_(types_known), removed_(graph.nodes.size(), false) {
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const Node& n = graph_.nodes[i];
    for (const auto& o : n.outputs)
      if (!o.empty()) producer_[o] = i;
    for (const auto& in : n.inputs)
      if (!in.empty()) add_reader(in, i);
    // What subgraphs read besides the node's own inputs.
    std::set<std::string> direct(n.inputs.begin(), n.inputs.end());
    for (const auto& r : node_reads(n))
      if (!direct.count(r)) subgraph_reads_.insert(r);
  }
  for (const auto& o : graph_.outputs) outputs_.insert(o.name);
  for (const auto& in : graph_.inputs) graph_inputs_.insert(in.name);
  collect_names(graph_, names_);
}

size_t GraphEditor::producer(const std::string& value) const {
  auto it = producer_.find(value);
  return it == producer_.end() ? kNone : it->second;
}

const std::vector<size_t>& GraphEditor::readers(const std::string& value) const {
  static const std::vector<size_t> kNoReaders;
  auto it = readers_.find(value);
  return it == readers_.end() ? kNoReaders : it->second;
}

bool GraphEditor::is_graph_output(const std::string& value) const {
  return outputs_.count(value) != 0;
}

bool GraphEditor::unused(const std::string& value) const {
  return readers(value).empty() && !is_graph_output(value) && !read_by_subgraph(value);
}

bool GraphEditor::only_read_by(const std::string& value, size_t i) const {
  if (is_graph_output(value) || read_by_subgraph(value)) return false;
  const auto& r = readers(value);
  return !r.empty() && std::all_of(r.begin(), r.end(), [i](size_t k) { return k == i; });
}

const Tensor* GraphEditor::constant(const std::string& value) const {
  if (value.empty() || graph_inputs_.count(value)) return nullptr;
  auto it = graph_.initializers.find(value);
  return it == graph_.initializers.end() ? nullptr : &it->second;
}

const TensorType* GraphEditor::type(const std::string& value) const {
  if (!types_known_) return nullptr;
  auto it = graph_.value_types.find(value);
  return it == graph_.value_types.end() ? nullptr : &it->second;
}

void GraphEditor::add_reader(const std::string& value, size_t node) {
  readers_[value].push_back(node);
}

void GraphEditor::drop_reader(const std::string& value, size_t node) {
  auto it = readers_.find(value);
  if (it == readers_.end()) return;
  auto pos = std::find(it->second.begin(), it->second.end(), node);
  if (pos != it->second.end()) it->second.erase(pos);
  if (it->second.empty()) readers_.erase(it);
}

void GraphEditor::set_input(size_t node, size_t slot, const std::string& value) {
  Node& n = graph_.nodes[node];
  if (slot >= n.inputs.size()) n.inputs.resize(slot + 1);
  if (!n.inputs[slot].empty()) drop_reader(n.inputs[slot], node);
  n.inputs[slot] = value;
  if (!value.empty()) add_reader(value, node);
}

void GraphEditor::set_inputs(size_t node, const std::vector<std::string>& values) {
  Node& n = graph_.nodes[node];
  for (const auto& in : n.inputs)
    if (!in.empty()) drop_reader(in, node);
  n.inputs = values;
  for (const auto& in : n.inputs)
    if (!in.empty()) add_reader(in, node);
}

void GraphEditor::set_output(size_t node, size_t slot, const std::string& value) {
  Node& n = graph_.nodes[node];
  const std::string old = n.outputs[slot];
  if (!old.empty()) {
    auto it = producer_.find(old);
    if (it != producer_.end() && it->second == node) producer_.erase(it);
  }
  n.outputs[slot] = value;
  if (!value.empty()) {
    producer_[value] = node;
    names_.insert(value);
  }
}

void GraphEditor::remove_node(size_t node) {
  Node& n = graph_.nodes[node];
  for (const auto& in : n.inputs)
    if (!in.empty()) drop_reader(in, node);
  for (const auto& o : n.outputs) {
    auto it = producer_.find(o);
    if (it != producer_.end() && it->second == node) producer_.erase(it);
  }
  removed_[node] = true;
}

std::string GraphEditor::fresh_name(const std::string& base) {
  std::string name = base;
  for (int k = 1; names_.count(name); ++k) name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

std::string GraphEditor::add_initializer(const std::string& base, Tensor value) {
  const std::string name = fresh_name(base);
  graph_.value_types[name] = TensorType{value.dtype(), value.shape()};
  graph_.initializers[name] = std::move(value);
  return name;
}

void GraphEditor::rename_reads(const std::string& from, const std::string& to) {
  auto it = readers_.find(from);
  if (it == readers_.end()) return;
  const std::vector<size_t> nodes = it->second;
  readers_.erase(it);
  for (size_t k : nodes) {
    for (auto& in : graph_.nodes[k].inputs)
      if (in == from) in = to;
  }
  // A node reading `from` in two slots is listed twice; each entry moves over.
  for (size_t k : nodes) add_reader(to, k);
}

bool GraphEditor::bypass(size_t i, size_t in, size_t out) {
  Node& n = graph_.nodes[i];
  if (in >= n.inputs.size() || out >= n.outputs.size()) return false;
  const std::string x = n.inputs[in];
  const std::string y = n.outputs[out];
  if (x.empty() || y.empty() || read_by_subgraph(y)) return false;
  for (size_t k = 0; k < n.outputs.size(); ++k)
    if (k != out && !n.outputs[k].empty() && !unused(n.outputs[k])) return false;

  if (!is_graph_output(y)) {
    remove_node(i);
    rename_reads(y, x);
    graph_.value_types.erase(y);
    return true;
  }
  // y must keep its name: the producer of x produces y instead, if x can be renamed.
  const size_t p = producer(x);
  if (p == kNone || is_graph_output(x) || read_by_subgraph(x)) return false;
  const Node& prod = graph_.nodes[p];
  const size_t slot = static_cast<size_t>(std::find(prod.outputs.begin(), prod.outputs.end(), x) -
                                          prod.outputs.begin());
  remove_node(i);
  set_output(p, slot, y);
  rename_reads(x, y);
  graph_.value_types.erase(x);
  return true;
}

void GraphEditor::commit() {
  std::vector<Node> kept;
  kept.reserve(graph_.nodes.size());
  for (size_t i = 0; i < graph_.nodes.size(); ++i)
    if (!removed_[i]) kept.push_back(std::move(graph_.nodes[i]));
  graph_.nodes = std::move(kept);
  removed_.assign(graph_.nodes.size(), false);

  std::set<std::string> defined(graph_inputs_.begin(), graph_inputs_.end());
  for (const auto& [name, t] : graph_.initializers) defined.insert(name);
  for (const auto& n : graph_.nodes)
    for (const auto& o : n.outputs) defined.insert(o);
  for (auto it = graph_.value_types.begin(); it != graph_.value_types.end();)
    it = defined.count(it->first) ? std::next(it) : graph_.value_types.erase(it);

  // Indices moved: rebuild the index for further use.
  producer_.clear();
  readers_.clear();
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    for (const auto& o : graph_.nodes[i].outputs)
      if (!o.empty()) producer_[o] = i;
    for (const auto& input : graph_.nodes[i].inputs)
      if (!input.empty()) add_reader(input, i);
  }
}

}  // namespace ledge
