// ledge optimize MODEL -o OUT.onnx [--shape NAME=DIMS]... [--skip PASS]... [--check] [--json]
#include <cstdio>
#include <nlohmann/json.hpp>

#include "onnx/export.h"
#include "passes/optimize.h"
#include "runtime/infer_types.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

struct OptimizeArgs {
  std::string model;
  std::string output;
  std::vector<std::string> shapes;
  std::vector<std::string> skip;
  bool check = false;
  bool json = false;
};

int optimize(const OptimizeArgs& a) {
  auto model = load_model(a.model);
  if (!model) return report(model.error());
  auto overrides = parse_shape_overrides(a.shapes);
  if (!overrides) return report(overrides.error());
  Model& m = **model;
  // Fixed dimensions are written into the optimized model's inputs, and let shape
  // computations fold.
  Status st = apply_shape_overrides(m.graph, *overrides);
  if (!st.ok()) return report(st.error());

  OptimizeOptions options;
  options.check = a.check;
  options.skip.insert(a.skip.begin(), a.skip.end());
  auto result = optimize_model(m, options);
  if (!result) return report(std::move(result).error().with_context(a.model));
  st = write_onnx_file(m, a.output);
  if (!st.ok()) return report(st.error());

  const OptimizeReport& r = *result;
  if (a.json) {
    nlohmann::json j;
    j["model"] = a.model;
    j["output"] = a.output;
    j["nodes_before"] = r.nodes_before;
    j["nodes_after"] = r.nodes_after;
    j["rounds"] = r.rounds;
    j["passes"] = nlohmann::json::array();
    for (const auto& p : r.passes)
      j["passes"].push_back(
          {{"name", p.name}, {"rewrites", p.rewrites}, {"nodes_removed", p.nodes_removed}});
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("model:   %s\n", a.model.c_str());
    std::printf("output:  %s\n", a.output.c_str());
    std::printf("nodes:   %lld -> %lld (%d rounds)\n", static_cast<long long>(r.nodes_before),
                static_cast<long long>(r.nodes_after), r.rounds);
    std::printf("%-22s %8s %14s\n", "pass", "rewrites", "nodes removed");
    for (const auto& p : r.passes)
      std::printf("%-22s %8lld %14lld\n", p.name.c_str(), static_cast<long long>(p.rewrites),
                  static_cast<long long>(p.nodes_removed));
  }
  return 0;
}

}  // namespace

void add_optimize_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<OptimizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "optimize", "Rewrite a model into a smaller equivalent ONNX model (fold, fuse, simplify)");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("-o,--output", args->output, "optimized ONNX file to write")->required();
  cmd->add_option("--shape", args->shapes, "NAME=DIMS: fix an input's dimensions; repeatable");
  cmd->add_option("--skip", args->skip, "leave out a pass (by name); repeatable");
  cmd->add_flag("--check", args->check, "verify the graph and re-infer types after every pass");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args, &exit_code]() { exit_code = optimize(*args); });
}

}  // namespace ledge::cli
