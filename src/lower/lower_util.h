// Small helpers shared by the lowering steps.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace ledge {

// Names not yet used in `graph`, derived from a base name ("conv1" → "conv1/nhwc").
class NameMaker {
 public:
  explicit NameMaker(const Graph& graph);
  std::string make(const std::string& base);

 private:
  std::set<std::string> used_;
};

// True when a node of the graph has a subgraph (If, Loop, Scan), whose nodes may read the
// graph's values by name.
bool has_subgraphs(const Graph& graph);

// Who writes and who reads each value, for passes that walk a graph's edges. The pointers
// point into graph.nodes: a pass that changes the node list builds a new index.
struct GraphIndex {
  std::map<std::string, const Node*> producer;              // value -> the node writing it
  std::map<std::string, std::vector<const Node*>> readers;  // value -> nodes reading it
  std::set<std::string> graph_outputs;

  // Null for graph inputs, initializers and unknown names.
  const Node* producer_of(const std::string& value) const;
  // The one node that reads `value`, when there is exactly one and the value does not leave
  // the graph; else null.
  const Node* sole_reader(const std::string& value) const;
};
GraphIndex index_graph(const Graph& graph);

// A DequantizeLinear or QuantizeLinear with constant per-tensor parameters: a float scalar
// scale and, if given, an 8-bit scalar zero point (a Q without one gives uint8).
bool per_tensor_quantization(const Graph& graph, const Node& node);

// How many times each value is read (node inputs, subgraph captures, graph outputs).
std::map<std::string, int> count_reads(const Graph& graph);

// The static shape of a value (initializer or typed value), or null.
const Shape* static_shape(const Graph& graph, const std::string& name);
DType value_dtype(const Graph& graph, const std::string& name);

// The initializer named `name`, or null.
const Tensor* find_initializer(const Graph& graph, const std::string& name);

// A float attribute given as int or float (models write both), else `def`.
float attr_as_float(const Node& node, const std::string& name, float def);
int64_t attr_as_int(const Node& node, const std::string& name, int64_t def);
std::vector<int64_t> attr_as_ints(const Node& node, const std::string& name);

// Transposes a dense float tensor (copying).
Expected<Tensor> transpose_tensor(const Tensor& t, const std::vector<size_t>& perm);

}  // namespace ledge
