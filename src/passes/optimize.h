// The optimization pipeline: runs the passes of passes.h in turn until none of them finds
// anything more to do.
//
//   OptimizeOptions options;
//   options.check = true;  // tests: verify the graph and re-infer types after every pass
//   LEDGE_ASSIGN(OptimizeReport report, optimize_model(*model, options));
//
// The result is standard ONNX with the same inputs, outputs and results.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "passes/passes.h"

namespace ledge {

struct OptimizeOptions {
  // After every pass, run the verifier and static type inference; a pass that breaks either
  // is an internal error naming it. For tests and `ledge optimize --check`.
  bool check = false;
  // Rounds over all passes at most; a round that changes nothing ends the pipeline first.
  int max_rounds = 8;
  // Passes to leave out, by name (as in pass_names()).
  std::set<std::string> skip;
  FoldConstantsOptions fold;
};

struct PassReport {
  std::string name;
  int64_t rewrites = 0;       // patterns rewritten, summed over rounds
  int64_t nodes_removed = 0;  // net change of the node count it caused (subgraphs included)
};

struct OptimizeReport {
  int64_t nodes_before = 0;  // subgraphs included
  int64_t nodes_after = 0;
  int rounds = 0;
  std::vector<PassReport> passes;  // in pipeline order
};

// Names of the passes in pipeline order.
std::vector<std::string> pass_names();

Expected<OptimizeReport> optimize_model(Model& model, const OptimizeOptions& options = {});

// Nodes of a graph and of all its subgraphs.
int64_t count_nodes(const Graph& graph);

}  // namespace ledge
