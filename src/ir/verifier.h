// Structural checks of a graph: the invariants every pass must keep.
//
// - every node input names a value defined earlier (graph input, initializer, output of an
//   earlier node, or a value of an enclosing graph), so the node order is topological;
// - every value is defined once;
// - every graph output is defined;
// - subgraphs satisfy the same rules, seeing the enclosing scopes.
#pragma once

#include <set>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace ledge {

Status verify_graph(const Graph& graph, const std::set<std::string>& outer_scope = {});

// Reorders graph.nodes (and those of subgraphs) topologically, keeping the file order where
// it is already valid. Fails naming a node on a cycle or an undefined input.
Status sort_topologically(Graph& graph, const std::set<std::string>& outer_scope = {});

// Names a subgraph reads from enclosing scopes (used but not defined inside it).
std::set<std::string> outer_scope_reads(const Graph& graph);

// All values a node reads: its inputs plus what its subgraphs read from outside.
std::set<std::string> node_reads(const Node& node);

}  // namespace ledge
