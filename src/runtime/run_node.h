// Executes one node: infer with the concrete input shapes and values, allocate outputs,
// run the reference kernel, and check that the kernel produced what infer promised.
// Shared by the session and by static inference (which evaluates small constants).
#pragma once

#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "ops/kernel.h"

namespace ledge {

Expected<std::vector<Tensor>> run_node(const OpKernel& op, const Node& node, int64_t opset,
                                       const std::vector<const Tensor*>& inputs,
                                       const SubgraphRunner* runner);

}  // namespace ledge
