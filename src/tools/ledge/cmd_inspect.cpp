// ledge inspect MODEL [--shape NAME=DIMS] [--json]
#include <cstdio>
#include <nlohmann/json.hpp>

#include "ir/stats.h"
#include "ops/kernel.h"
#include "runtime/infer_types.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

struct InspectArgs {
  std::string model;
  std::vector<std::string> shapes;
  bool json = false;
};

nlohmann::json value_json(const ValueInfo& v) {
  nlohmann::json dims = nlohmann::json::array();
  if (v.type.shape)
    for (size_t i = 0; i < v.type.shape->size(); ++i) {
      const int64_t d = (*v.type.shape)[i];
      if (d >= 0)
        dims.push_back(d);
      else if (i < v.dim_names.size() && !v.dim_names[i].empty())
        dims.push_back(v.dim_names[i]);
      else
        dims.push_back(nullptr);
    }
  return {{"name", v.name},
          {"dtype", std::string(dtype_name(v.type.dtype))},
          {"shape", v.type.shape ? dims : nlohmann::json(nullptr)}};
}

std::string value_text(const ValueInfo& v) {
  std::string s = v.name + ": " + std::string(dtype_name(v.type.dtype)) + "[";
  if (!v.type.shape) return s + "?]";
  for (size_t i = 0; i < v.type.shape->size(); ++i) {
    if (i) s += "x";
    const int64_t d = (*v.type.shape)[i];
    if (d >= 0)
      s += std::to_string(d);
    else
      s += (i < v.dim_names.size() && !v.dim_names[i].empty()) ? v.dim_names[i] : "?";
  }
  return s + "]";
}

int inspect(const InspectArgs& a) {
  auto model = load_model(a.model);
  if (!model) return report(model.error());
  auto overrides = parse_shape_overrides(a.shapes);
  if (!overrides) return report(overrides.error());
  Model& m = **model;
  Status st = apply_shape_overrides(m.graph, *overrides);
  if (!st.ok()) return report(st.error());

  std::vector<std::string> missing;
  const ModelStats pre = compute_stats(m.graph);
  for (const auto& [op, count] : pre.op_histogram)
    if (!find_op(op.find('.') == std::string::npos ? "" : op.substr(0, op.rfind('.')),
                 op.substr(op.rfind('.') == std::string::npos ? 0 : op.rfind('.') + 1)))
      missing.push_back(op);
  // Shapes make MACs countable; a model with unsupported operators is still described.
  std::string inference_note;
  if (missing.empty()) {
    Status inf = infer_types(m.graph, m.opset(""));
    if (!inf.ok()) inference_note = inf.error().message();
  }
  const ModelStats s = compute_stats(m.graph);

  std::vector<ValueInfo> inputs;
  for (const auto& in : m.graph.inputs)
    if (!m.graph.initializers.count(in.name)) inputs.push_back(in);
  std::vector<ValueInfo> outputs = m.graph.outputs;
  for (auto& o : outputs) {
    auto it = m.graph.value_types.find(o.name);
    if (it != m.graph.value_types.end() && it->second.shape &&
        (!o.type.shape || !o.type.is_static()))
      o.type = it->second;
  }

  if (a.json) {
    nlohmann::json j;
    j["model"] = a.model;
    j["producer"] = m.producer;
    j["ir_version"] = m.ir_version;
    j["opsets"] = m.opsets;
    j["inputs"] = nlohmann::json::array();
    for (const auto& v : inputs) j["inputs"].push_back(value_json(v));
    j["outputs"] = nlohmann::json::array();
    for (const auto& v : outputs) j["outputs"].push_back(value_json(v));
    j["operators"] = s.op_histogram;
    j["nodes"] = m.graph.nodes.size();
    j["parameters"] = s.parameter_count;
    j["parameter_bytes"] = s.parameter_bytes;
    j["macs"] = s.macs;
    j["nodes_without_macs"] = s.nodes_without_macs;
    j["unsupported_operators"] = missing;
    if (!inference_note.empty()) j["shape_inference_error"] = inference_note;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("model:      %s\n", a.model.c_str());
    std::printf("producer:   %s (IR version %lld, opset %lld)\n",
                m.producer.empty() ? "unknown" : m.producer.c_str(),
                static_cast<long long>(m.ir_version), static_cast<long long>(m.opset("")));
    for (const auto& v : inputs) std::printf("input:      %s\n", value_text(v).c_str());
    for (const auto& v : outputs) std::printf("output:     %s\n", value_text(v).c_str());
    std::printf("nodes:      %zu\n", m.graph.nodes.size());
    std::printf("parameters: %lld (%.2f MB)\n", static_cast<long long>(s.parameter_count),
                static_cast<double>(s.parameter_bytes) / 1e6);
    std::printf("MACs:       %lld%s\n", static_cast<long long>(s.macs),
                s.nodes_without_macs ? " (some shapes unknown; set --shape)" : "");
    std::printf("operators:\n");
    for (const auto& [op, count] : s.op_histogram)
      std::printf("  %-28s %lld\n", op.c_str(), static_cast<long long>(count));
    if (!missing.empty()) {
      std::printf("unsupported operators:");
      for (const auto& op : missing) std::printf(" %s", op.c_str());
      std::printf("\n");
    }
    if (!inference_note.empty())
      std::printf("shape inference failed: %s\n", inference_note.c_str());
  }
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd =
      app.add_subcommand("inspect", "Describe a model: inputs, outputs, operators, size");
  cmd->add_option("model", args->model, "model file: ONNX or .ledge")->required();
  cmd->add_option("--shape", args->shapes, "NAME=DIMS (like 1x3x224x224); repeatable");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args, &exit_code]() { exit_code = inspect(*args); });
}

}  // namespace ledge::cli
