// Local rewrites of one graph with an index of who produces and who reads each value.
//
// Passes match a pattern (a producer and its only reader, say), then edit through the editor
// so that the index stays exact while they continue scanning:
//
//   GraphEditor ed(model.graph, refresh_types(model));
//   for (size_t i = 0; i < ed.size(); ++i) {
//     if (ed.removed(i) || ed.node(i).op_type != "Identity") continue;
//     ed.bypass(i, 0, 0);          // readers of the output read the input instead
//   }
//   ed.commit();                   // erases the removed nodes
//
// Edits never insert nodes: a rewrite changes a node in place and removes others, so the
// node order stays topological as long as a node only ever reads values defined before it.
//
// Subgraphs (If/Loop/Scan bodies) are not edited; values they read from this graph are
// pinned: they are never renamed or removed.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace ledge {

class GraphEditor {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  // `types_known`: graph.value_types holds a successful inference of this graph (see
  // refresh_types); otherwise type() knows nothing, since types read from a file are unchecked.
  GraphEditor(Graph& graph, bool types_known);

  Graph& graph() { return graph_; }
  size_t size() const { return graph_.nodes.size(); }
  Node& node(size_t i) { return graph_.nodes[i]; }
  bool removed(size_t i) const { return removed_[i]; }

  // Index of the node that produces `value`, or kNone (graph input, initializer, outer scope).
  size_t producer(const std::string& value) const;
  // Node indices reading `value` as a direct input, one entry per input slot.
  const std::vector<size_t>& readers(const std::string& value) const;
  bool is_graph_output(const std::string& value) const;
  bool read_by_subgraph(const std::string& value) const { return subgraph_reads_.count(value); }
  // Nothing reads `value`: no node, no subgraph, not a graph output.
  bool unused(const std::string& value) const;
  // `value` is read by node i only (possibly in several slots), and is no graph output.
  bool only_read_by(const std::string& value, size_t i) const;

  // The value of an initializer the caller cannot override (not also a graph input); null
  // for anything else.
  const Tensor* constant(const std::string& value) const;
  // The inferred type of a value; null when not known.
  const TensorType* type(const std::string& value) const;

  void set_input(size_t node, size_t slot, const std::string& value);
  void set_inputs(size_t node, const std::vector<std::string>& values);
  // Renames output `slot` of a node; the old name must have no readers left.
  void set_output(size_t node, size_t slot, const std::string& value);
  void remove_node(size_t node);
  // A new initializer under a name unused anywhere in the graph (subgraphs included).
  std::string add_initializer(const std::string& base, Tensor value);
  // A name unused anywhere in the graph.
  std::string fresh_name(const std::string& base);

  // Removes node i, whose output `out` equals its input `in` (an Identity in effect). Every
  // reader of the output reads the input instead; when the output is a graph output, the
  // input's producer is renamed to produce it. The node's other outputs must be unused.
  // Returns false, changing nothing, when that is not possible without renaming a graph
  // output or a value a subgraph reads.
  bool bypass(size_t i, size_t in, size_t out);

  // Erases removed nodes and the types of values no longer defined.
  void commit();

 private:
  void add_reader(const std::string& value, size_t node);
  void drop_reader(const std::string& value, size_t node);
  // Points every reader of `from` at `to`.
  void rename_reads(const std::string& from, const std::string& to);

  Graph& graph_;
  bool types_known_;
  std::vector<bool> removed_;
  std::map<std::string, size_t> producer_;
  std::map<std::string, std::vector<size_t>> readers_;
  std::set<std::string> subgraph_reads_;
  std::multiset<std::string> outputs_;
  std::set<std::string> graph_inputs_;
  std::set<std::string> names_;  // every name in use, subgraphs included, for fresh_name
};

}  // namespace ledge
