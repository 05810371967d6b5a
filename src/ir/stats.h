// Static figures of a model: operator histogram, parameters, multiply-accumulates.
// MACs need inferred shapes (graph.value_types): run infer_types first.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"

namespace ledge {

struct ModelStats {
  std::map<std::string, int64_t> op_histogram;  // op_type → count, subgraphs included
  int64_t parameter_count = 0;                  // elements of all initializers
  int64_t parameter_bytes = 0;
  int64_t macs = 0;                // of Conv, ConvTranspose, Gemm, MatMul with known shapes
  int64_t nodes_without_macs = 0;  // such nodes whose shapes were not known
};

ModelStats compute_stats(const Graph& graph);

}  // namespace ledge
