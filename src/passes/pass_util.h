// Small helpers shared by the passes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace ledge {

// Re-runs static type inference on the main graph. False when the model cannot be inferred
// (an operator ledge does not implement, say): passes then skip rewrites that need types.
bool refresh_types(Model& model);

// Attribute values of the expected type, or nullopt when missing or of another type.
std::optional<int64_t> attr_int(const Node& node, const std::string& name);
std::optional<float> attr_float(const Node& node, const std::string& name);
std::optional<std::string> attr_string(const Node& node, const std::string& name);
std::optional<std::vector<int64_t>> attr_ints(const Node& node, const std::string& name);

// A node of the default ONNX domain with this op_type.
inline bool is_op(const Node& node, const char* op_type) {
  return node.domain.empty() && node.op_type == op_type;
}

// A 1-D int64 tensor holding `values`.
Tensor int64_tensor(const std::vector<int64_t>& values);

}  // namespace ledge
