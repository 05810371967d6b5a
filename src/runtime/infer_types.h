// Static type and shape inference over a whole graph.
//
// Runs each operator's infer function in node order, starting from the declared input
// types (with overrides applied) and the initializers. Small values that are computable
// ahead of time (shapes of statically shaped tensors, arithmetic on constants) are
// evaluated so that Reshape/Slice/Expand-style shape computations infer exactly.
// Results go to graph.value_types. Unknown dimensions stay -1; at run time the same
// infer functions see concrete shapes.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace ledge {

// Applies overrides to the graph's input declarations; an override for an unknown input,
// or one that contradicts a fixed dimension or the rank, is an error.
Status apply_shape_overrides(Graph& graph, const std::map<std::string, Shape>& overrides);

// `known`, when given, receives the values evaluated ahead of time (node outputs only).
Status infer_types(Graph& graph, int64_t opset, std::map<std::string, Tensor>* known = nullptr);

}  // namespace ledge
