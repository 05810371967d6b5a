// Shared by the control-flow operators If, Loop and Scan: static types of subgraph outputs,
// checks of what a subgraph produced against what it declared, and slicing/stacking of
// tensors along an axis (type-generic, by bytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/helpers.h"

namespace ledge::cf {

// The common type of two static types: the element type if they agree (or one is unknown),
// and each dimension where both know it and agree.
TensorType merge_types(const TensorType& a, const TensorType& b);

// Static types of the outputs of subgraph `g` when its inputs have `input_types` (missing
// entries: the declared input types). A declared output type wins; where the model
// declares none, the element type comes from running the operators' infer functions over
// the subgraph (values of enclosing scopes count as unknown). Shapes are inferred that way
// too only with `shapes` (for empty stacked outputs, whose element shape no iteration shows).
std::vector<TensorType> subgraph_output_types(const Graph& g,
                                              const std::vector<TensorType>& input_types,
                                              int64_t opset, bool shapes = false);

// Checks that `t`, output `index` of subgraph `what`, agrees with the static type `want`.
Status check_output(const NodeContext& c, const Tensor& t, const TensorType& want,
                    const std::string& what, size_t index);

// The slice of `t` at `index` along `axis`, with that axis removed (a copy).
Expected<Tensor> take(const Tensor& t, int64_t axis, int64_t index);

// Stacks tensors of one shape along a new axis `axis` (in [0, rank]); with `reverse`
// element i goes to position n-1-i. `pad_to` > n adds zero-filled positions at the end.
// An empty list needs `elem` (element type and shape) to shape the result.
Expected<Tensor> stack(const std::vector<Tensor>& elems, int64_t axis, bool reverse,
                       const TensorType& elem, int64_t pad_to = -1);

// Element count check for scalar-like control inputs (M, cond): exactly one element.
bool is_single_element(const TensorType& t);

}  // namespace ledge::cf
