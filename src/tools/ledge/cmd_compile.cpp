// ledge compile MODEL -o OUT.ledge [--shape NAME=DIMS]... [--keep-names]: a model ready for
// devices.
//
// Imports the model, prepares it (prepare_artifact.h), writes the .ledge artifact, loads it
// back as a check, and prints the sizes.
#include <cstdio>
#include <filesystem>

#include "artifact/artifact.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"
#include "tools/ledge/prepare_artifact.h"

namespace ledge::cli {

namespace {

struct CompileArgs {
  std::string model;
  std::string output;
  std::vector<std::string> shapes;
  bool keep_names = false;
};

std::string megabytes(uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

size_t initializer_bytes(const Graph& g) {
  size_t n = 0;
  for (const auto& [name, t] : g.initializers) n += t.nbytes();
  return n;
}

int compile(const CompileArgs& a) {
  auto model = load_model(a.model);
  if (!model) return report(model.error());
  auto overrides = parse_shape_overrides(a.shapes);
  if (!overrides) return report(overrides.error());
  PrepareOptions options;
  options.shape_overrides = *overrides;
  options.keep_names = a.keep_names;
  // The one call that readies the graph for devices (optimization and lowering go inside).
  Status st = prepare_for_artifact(**model, options);
  if (!st.ok()) return report(std::move(st).error().with_context(a.model));

  WriteOptions write_options;
  write_options.metadata["source"] = std::filesystem::path(a.model).filename().string();
  write_options.metadata["compiler"] = "ledge compile";
  st = write_artifact(**model, a.output, write_options);
  if (!st.ok()) return report(st.error());

  // Load what was written: the artifact must pass the loader's checks before it ships.
  auto loaded = load_artifact(a.output);
  if (!loaded) return report(loaded.error());
  auto info = read_artifact_info(a.output);
  if (!info) return report(info.error());
  std::error_code ec;
  const auto source_bytes = std::filesystem::file_size(a.model, ec);

  const Graph& g = (*loaded)->graph;
  std::printf("compiled %s -> %s\n", a.model.c_str(), a.output.c_str());
  if (!ec)
    std::printf("  source:   %s (%llu bytes)\n", megabytes(source_bytes).c_str(),
                static_cast<unsigned long long>(source_bytes));
  std::printf("  artifact: %s (%llu bytes): graph %s, tensor data %s\n",
              megabytes(info->file_bytes).c_str(),
              static_cast<unsigned long long>(info->file_bytes),
              megabytes(info->graph_bytes).c_str(), megabytes(info->data_bytes).c_str());
  std::printf("  weights:  %s in %zu initializers\n", megabytes(initializer_bytes(g)).c_str(),
              g.initializers.size());
  std::printf("  nodes:    %zu\n", g.nodes.size());
  return 0;
}

}  // namespace

void add_compile_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compile", "Compile a model into a .ledge artifact for devices (see ledge-run)");
  cmd->add_option("model", args->model, "model file: ONNX or .ledge")->required();
  cmd->add_option("-o,--output", args->output, "the .ledge file to write")->required();
  cmd->add_option("--shape", args->shapes,
                  "NAME=DIMS: fix a dynamic input shape in the artifact; repeatable");
  cmd->add_flag("--keep-names", args->keep_names,
                "keep the model's value names and inferred types (default: short names and "
                "no stored types, a smaller file; the graph's inputs, outputs and node names "
                "are always kept)");
  cmd->callback([args, &exit_code]() { exit_code = compile(*args); });
}

}  // namespace ledge::cli
