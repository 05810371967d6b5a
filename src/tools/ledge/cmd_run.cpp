// ledge run MODEL [--input NAME=FILE]... [--output-dir DIR] [--format npy|pb] [--shape NAME=DIMS]
//           [--seed N] [--json] [--no-optimize]
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/npy.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> shapes;
  std::string output_dir;
  std::string format = "npy";
  uint64_t seed = 0;
  bool json = false;
  bool no_optimize = false;
};

struct Summary {
  double min = 0, max = 0, mean = 0;
};

Summary summarize(const Tensor& t) {
  Summary s;
  if (t.numel() == 0) return s;
  s.min = s.max = t.as_double(0);
  double sum = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = t.as_double(i);
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    sum += v;
  }
  s.mean = sum / static_cast<double>(t.numel());
  return s;
}

int run(const RunArgs& a) {
  auto model = load_model(a.model);
  if (!model) return report(model.error());
  auto overrides = parse_shape_overrides(a.shapes);
  if (!overrides) return report(overrides.error());
  SessionOptions opts;
  opts.shape_overrides = *overrides;
  opts.optimize = !a.no_optimize;
  auto session = Session::create(std::move(*model), opts);
  if (!session) return report(std::move(session).error().with_context(a.model));

  std::map<std::string, Tensor> feeds;
  for (const auto& spec : a.inputs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return report(invalid_argument("--input expects NAME=FILE, got '" + spec + "'"));
    auto t = read_tensor_file(spec.substr(eq + 1));
    if (!t) return report(t.error());
    feeds[spec.substr(0, eq)] = std::move(*t);
  }
  uint64_t seed = a.seed;
  for (const auto& in : (*session)->inputs()) {
    if (feeds.count(in.name)) continue;
    if (in.type.dtype == DType::kUndefined)
      return report(invalid_model("input '" + in.name + "' declares no element type"));
    Shape shape;
    if (in.type.shape) {
      for (int64_t d : *in.type.shape) shape.push_back(d < 0 ? 1 : d);
      if (!in.type.is_static())
        std::fprintf(stderr,
                     "ledge: note: input '%s' has dynamic dimensions; using %s (set --shape)\n",
                     in.name.c_str(), shape_to_string(shape).c_str());
    }
    auto t = random_tensor(in.type.dtype, shape, seed++);
    if (!t) return report(t.error());
    feeds[in.name] = std::move(*t);
  }
  auto outputs = (*session)->run(feeds);
  if (!outputs) return report(std::move(outputs).error().with_context(a.model));

  if (!a.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.output_dir, ec);
    if (ec) return report(io_error(a.output_dir + ": " + ec.message()));
  }
  nlohmann::json j = nlohmann::json::array();
  const auto& infos = (*session)->outputs();
  for (size_t i = 0; i < outputs->size(); ++i) {
    const Tensor& t = (*outputs)[i];
    const std::string& name = infos[i].name;
    std::string file;
    if (!a.output_dir.empty()) {
      file =
          (std::filesystem::path(a.output_dir) / (sanitize_name(name) + "." + a.format)).string();
      Status st = a.format == "pb" ? write_tensor_pb(file, t, name) : write_npy(file, t);
      if (!st.ok()) return report(st.error());
    }
    const Summary s = summarize(t);
    if (a.json) {
      j.push_back({{"name", name},
                   {"dtype", std::string(dtype_name(t.dtype()))},
                   {"shape", t.shape()},
                   {"min", s.min},
                   {"max", s.max},
                   {"mean", s.mean},
                   {"file", file}});
    } else {
      std::printf("%s: %s[%s] min %.6g max %.6g mean %.6g%s%s\n", name.c_str(),
                  std::string(dtype_name(t.dtype())).c_str(), shape_to_string(t.shape()).c_str(),
                  s.min, s.max, s.mean, file.empty() ? "" : " -> ", file.c_str());
    }
  }
  if (a.json) std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model on given or generated inputs");
  cmd->add_option("model", args->model, "model file: ONNX or .ledge")->required();
  cmd->add_option("--input", args->inputs, "NAME=FILE (.npy or .pb); repeatable");
  cmd->add_option("--output-dir", args->output_dir, "write each output to DIR/<name>.<format>");
  cmd->add_option("--format", args->format, "output file format")
      ->check(CLI::IsMember({"npy", "pb"}));
  cmd->add_option("--shape", args->shapes, "NAME=DIMS (like 1x3x224x224); repeatable");
  cmd->add_option("--seed", args->seed, "seed for generated inputs");
  cmd->add_flag("--json", args->json, "print a JSON summary");
  cmd->add_flag("--no-optimize", args->no_optimize,
                "run every node as written on the reference kernels (no folding, fusion or "
                "integer lowering): the model's own arithmetic, to compare against");
  cmd->callback([args, &exit_code]() { exit_code = run(*args); });
}

}  // namespace ledge::cli
