#include "ir/verifier.h"

#include <deque>
#include <map>

namespace ledge {

namespace {

template <class F>
void for_each_subgraph(const Node& node, F&& f) {
  for (const auto& [name, value] : node.attributes) {
    if (auto g = std::get_if<std::shared_ptr<Graph>>(&value)) {
      if (*g) f(**g);
    } else if (auto gs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&value)) {
      for (const auto& sg : *gs)
        if (sg) f(*sg);
    }
  }
}

template <class F>
void for_each_subgraph_mut(Node& node, F&& f) {
  for (auto& [name, value] : node.attributes) {
    if (auto g = std::get_if<std::shared_ptr<Graph>>(&value)) {
      if (*g) f(**g);
    } else if (auto gs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&value)) {
      for (auto& sg : *gs)
        if (sg) f(*sg);
    }
  }
}

std::set<std::string> defined_at_entry(const Graph& graph) {
  std::set<std::string> defined;
  for (const auto& v : graph.inputs) defined.insert(v.name);
  for (const auto& [n, t] : graph.initializers) defined.insert(n);
  return defined;
}

}  // namespace

std::set<std::string> node_reads(const Node& node) {
  std::set<std::string> reads;
  for (const auto& in : node.inputs)
    if (!in.empty()) reads.insert(in);
  for_each_subgraph(node, [&](const Graph& g) {
    for (const auto& n : outer_scope_reads(g)) reads.insert(n);
  });
  return reads;
}

std::set<std::string> outer_scope_reads(const Graph& graph) {
  std::set<std::string> defined = defined_at_entry(graph);
  for (const auto& node : graph.nodes)
    for (const auto& out : node.outputs) defined.insert(out);
  std::set<std::string> outer;
  for (const auto& node : graph.nodes)
    for (const auto& r : node_reads(node))
      if (!defined.count(r)) outer.insert(r);
  for (const auto& o : graph.outputs)
    if (!defined.count(o.name)) outer.insert(o.name);
  return outer;
}

Status verify_graph(const Graph& graph, const std::set<std::string>& outer_scope) {
  std::set<std::string> defined = defined_at_entry(graph);
  for (const auto& node : graph.nodes) {
    // Every ONNX operator has an output; kernels rely on output 0 existing.
    if (node.outputs.empty()) return invalid_model("node " + node.label() + " has no outputs");
    for (const auto& in : node.inputs) {
      if (!in.empty() && !defined.count(in) && !outer_scope.count(in))
        return invalid_model("node " + node.label() + " reads '" + in +
                             "', which is not defined before it");
    }
    Status sub;
    for_each_subgraph(node, [&](const Graph& g) {
      if (!sub.ok()) return;
      std::set<std::string> scope = outer_scope;
      scope.insert(defined.begin(), defined.end());
      sub = verify_graph(g, scope);
    });
    if (!sub.ok())
      return std::move(sub).error().with_context("in a subgraph of node " + node.label());
    for (const auto& out : node.outputs) {
      if (out.empty()) continue;
      if (!defined.insert(out).second)
        return invalid_model("value '" + out + "' is defined twice (again by node " + node.label() +
                             ")");
    }
  }
  for (const auto& o : graph.outputs)
    if (!defined.count(o.name) && !outer_scope.count(o.name))
      return invalid_model("graph output '" + o.name + "' is never computed");
  return Status();
}

Status sort_topologically(Graph& graph, const std::set<std::string>& outer_scope) {
  std::set<std::string> available = defined_at_entry(graph);
  available.insert(outer_scope.begin(), outer_scope.end());

  // Producer of each value, to find what a node waits for.
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (const auto& out : graph.nodes[i].outputs)
      if (!out.empty() && !available.count(out)) producer.emplace(out, i);

  const size_t n = graph.nodes.size();
  std::vector<std::vector<size_t>> consumers(n);
  std::vector<size_t> waiting(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (const auto& r : node_reads(graph.nodes[i])) {
      if (available.count(r)) continue;
      auto it = producer.find(r);
      if (it == producer.end())
        return invalid_model("node " + graph.nodes[i].label() + " reads '" + r +
                             "', which no node, input or initializer defines");
      if (it->second == i)
        return invalid_model("node " + graph.nodes[i].label() + " reads its own output '" + r +
                             "' (a cycle)");
      consumers[it->second].push_back(i);
      ++waiting[i];
    }
  }
  // Kahn's algorithm, always taking the earliest ready node to keep the file order.
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.insert(i);
  std::vector<size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    size_t i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (size_t c : consumers[i])
      if (--waiting[c] == 0) ready.insert(c);
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i)
      if (waiting[i] != 0)
        return invalid_model("the graph has a cycle through node " + graph.nodes[i].label());
  }
  std::vector<Node> sorted;
  sorted.reserve(n);
  for (size_t i : order) sorted.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(sorted);

  // Subgraphs see everything of this graph.
  std::set<std::string> scope = available;
  for (const auto& node : graph.nodes)
    for (const auto& out : node.outputs) scope.insert(out);
  for (auto& node : graph.nodes) {
    Status sub;
    for_each_subgraph_mut(node, [&](Graph& g) {
      if (sub.ok()) sub = sort_topologically(g, scope);
    });
    if (!sub.ok())
      return std::move(sub).error().with_context("in a subgraph of node " + node.label());
  }
  return Status();
}

}  // namespace ledge
