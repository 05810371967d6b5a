#include "passes/optimize.h"

#include <functional>

#include "ir/verifier.h"
#include "runtime/infer_types.h"

namespace ledge {

namespace {

struct Pass {
  const char* name;
  std::function<Expected<int64_t>(Model&, const OptimizeOptions&)> run;
};

// Order matters only for speed: folding first exposes constants to the rewrites after it,
// and dead code goes last.
const std::vector<Pass>& pipeline() {
  static const std::vector<Pass> kPasses = {
      {"fold_constants",
       [](Model& m, const OptimizeOptions& o) { return fold_constants(m, o.fold); }},
      {"remove_identities", [](Model& m, const OptimizeOptions&) { return remove_identities(m); }},
      {"cancel_transposes", [](Model& m, const OptimizeOptions&) { return cancel_transposes(m); }},
      {"merge_reshapes", [](Model& m, const OptimizeOptions&) { return merge_reshapes(m); }},
      {"fold_pad", [](Model& m, const OptimizeOptions&) { return fold_pad(m); }},
      {"fold_batch_norm", [](Model& m, const OptimizeOptions&) { return fold_batch_norm(m); }},
      {"fold_mul_add", [](Model& m, const OptimizeOptions&) { return fold_mul_add(m); }},
      {"fuse_matmul_add", [](Model& m, const OptimizeOptions&) { return fuse_matmul_add(m); }},
      {"eliminate_dead_code",
       [](Model& m, const OptimizeOptions&) { return eliminate_dead_code(m); }},
  };
  return kPasses;
}

template <class F>
void for_each_subgraph(const Node& node, F&& f) {
  for (const auto& [k, v] : node.attributes) {
    if (auto g = std::get_if<std::shared_ptr<Graph>>(&v)) {
      if (*g) f(**g);
    } else if (auto gs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&v)) {
      for (const auto& sg : *gs)
        if (sg) f(*sg);
    }
  }
}

// After a pass in check mode: the graph is still valid and, if it was, still inferable.
Status check_pass(Model& model, const char* pass, bool inferable) {
  Status st = verify_graph(model.graph);
  if (st.ok() && inferable) st = infer_types(model.graph, model.opset(""));
  if (st.ok()) return st;
  return internal_error(std::string("pass ") + pass +
                        " left an invalid graph: " + st.error().message());
}

}  // namespace

std::vector<std::string> pass_names() {
  std::vector<std::string> names;
  for (const auto& p : pipeline()) names.push_back(p.name);
  return names;
}

int64_t count_nodes(const Graph& graph) {
  int64_t n = static_cast<int64_t>(graph.nodes.size());
  for (const auto& node : graph.nodes)
    for_each_subgraph(node, [&](const Graph& g) { n += count_nodes(g); });
  return n;
}

Expected<OptimizeReport> optimize_model(Model& model, const OptimizeOptions& options) {
  for (const auto& name : options.skip) {
    bool known = false;
    for (const auto& p : pipeline()) known = known || name == p.name;
    if (!known) return invalid_argument("there is no pass named '" + name + "'");
  }
  LEDGE_TRY(verify_graph(model.graph));
  const bool inferable = infer_types(model.graph, model.opset("")).ok();

  OptimizeReport report;
  report.nodes_before = count_nodes(model.graph);
  for (const auto& p : pipeline()) report.passes.push_back(PassReport{p.name, 0, 0});
  for (int round = 0; round < options.max_rounds; ++round) {
    int64_t changes = 0;
    for (size_t k = 0; k < pipeline().size(); ++k) {
      const Pass& pass = pipeline()[k];
      if (options.skip.count(pass.name)) continue;
      const int64_t before = count_nodes(model.graph);
      auto n = pass.run(model, options);
      if (!n) return std::move(n).error().with_context(std::string("pass ") + pass.name);
      if (options.check) LEDGE_TRY(check_pass(model, pass.name, inferable));
      report.passes[k].rewrites += *n;
      report.passes[k].nodes_removed += before - count_nodes(model.graph);
      changes += *n;
    }
    report.rounds = round + 1;
    if (changes == 0) break;
  }
  // Leave fresh types behind (the exporter writes them as value_info).
  (void)infer_types(model.graph, model.opset(""));
  report.nodes_after = count_nodes(model.graph);
  return report;
}

}  // namespace ledge
