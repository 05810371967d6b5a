// ledge quantize MODEL --calibration DATA -o OUT.onnx [--labels LABELS] [--balance-classes]
//                (or -o OUT.ledge) [--samples N] [--method minmax|percentile|entropy|mse]
//                [--percentile P]
//                [--per-channel|--per-tensor] [--weights int8|int4] [--block-size B]
//                [--int4-compute int8|float]
//                [--activations uint8|int8]
//                [--keep-float NODE]... [--input NAME] [--scale S] [--json]
//                [--max-accuracy-drop X --validation DATA --validation-labels LABELS]
//
// Post-training static quantization: calibrates activation ranges on DATA with the float
// model, then writes a QDQ ONNX model (src/quant/quantize_qdq.h), or, for OUT.ledge, the
// artifact that runs it on integer kernels. With --max-accuracy-drop,
// measures top-1 accuracy on the validation data and returns the most sensitive layers to
// float until the loss is within X points (src/quant/mixed_precision.h).
// With --weights int4: weight-only block-wise int4 for MatMul/Gemm/1x1 Conv (quantize_int4.h),
// activations stay float, no calibration data needed.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "artifact/artifact.h"
#include "data/dataset.h"
#include "onnx/export.h"
#include "quant/calibrate.h"
#include "quant/mixed_precision.h"
#include "quant/quantize_int4.h"
#include "quant/quantize_qdq.h"
#include "runtime/infer_types.h"
#include "runtime/measure.h"
#include "runtime/session.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"
#include "tools/ledge/prepare_artifact.h"

namespace ledge::cli {

namespace {

struct QuantizeArgs {
  std::string model, calibration, labels, output, input, scale = "1/255", preprocess;
  std::string method = "minmax", weights = "int8", activations = "uint8", int4_compute = "int8";
  double percentile = 99.99;
  int64_t samples = 1000, block_size = 32;
  bool balance = false, per_tensor = false, per_channel = false, json = false;
  std::vector<std::string> keep_float;
  double max_drop = -1;  // < 0: no budget
  std::string validation, validation_labels;
};

// Bytes of the constants: what the model weighs, a QDQ model's int8 weights included.
size_t constant_bytes(const Model& m) {
  size_t bytes = 0;
  for (const auto& [name, t] : m.graph.initializers) bytes += t.nbytes();
  return bytes;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The model input the data feed: the only one, or the one named.
Expected<ValueInfo> pick_input(const Model& m, const std::string& name) {
  std::vector<ValueInfo> inputs;
  for (const auto& in : m.graph.inputs)
    if (!m.graph.initializers.count(in.name)) inputs.push_back(in);
  for (const auto& in : inputs)
    if (in.name == name) return in;
  if (!name.empty()) return invalid_argument("the model has no input named '" + name + "'");
  if (inputs.size() != 1)
    return invalid_argument("the model has " + std::to_string(inputs.size()) +
                            " inputs; choose the one the data feed with --input");
  return inputs[0];
}

// Median latency in ms of `m` on one sample: what keeping layers in float costs (one
// thread, optimized session, so quantized layers run on the integer kernels).
Expected<double> median_latency_ms(const Model& m, const std::string& input, const Tensor& x,
                                   int runs = 30) {
  SessionOptions o;
  o.shape_overrides[input] = x.shape();
  LEDGE_ASSIGN(auto session, Session::create(std::make_shared<Model>(m), o));
  // Timed as `ledge bench` times (runtime/measure.h): first-run costs are not latency.
  LEDGE_ASSIGN(const RunTimings t, time_runs(*session, {{input, x}}, {1, runs, 0}));
  return summarize(t.runs_ms).median;
}

// What mixed precision costs: latency and constant bytes of the float, the all-int8 and the
// resulting model.
struct MixedCost {
  double float_ms = 0, int8_ms = 0, result_ms = 0;
  size_t int8_bytes = 0;
};

Expected<MixedCost> mixed_cost(const Model& float_model, const Model& result,
                               const std::map<std::string, Range>& ranges,
                               const QuantizeOptions& qopts, const std::string& input,
                               const Tensor& x) {
  MixedCost c;
  LEDGE_ASSIGN(auto all_int8, quantize_qdq(float_model, ranges, qopts));
  c.int8_bytes = constant_bytes(*all_int8);
  LEDGE_ASSIGN(c.float_ms, median_latency_ms(float_model, input, x));
  LEDGE_ASSIGN(c.int8_ms, median_latency_ms(*all_int8, input, x));
  LEDGE_ASSIGN(c.result_ms, median_latency_ms(result, input, x));
  return c;
}

// Writes `m` as QDQ/contrib ONNX, or for OUT.ledge as the artifact a device runs (compiled
// like `ledge compile` does: QDQ patterns become integer operators on the way).
Status write_quantized(const Model& m, const QuantizeArgs& a) {
  if (!ends_with(a.output, ".ledge")) return write_onnx_file(m, a.output);
  Model compiled = m;
  if (Status st = prepare_for_artifact(compiled, {}); !st.ok())
    return std::move(st).error().with_context(a.output);
  WriteOptions wo;
  wo.metadata["source"] = std::filesystem::path(a.model).filename().string();
  wo.metadata["compiler"] = "ledge quantize";
  return write_artifact(compiled, a.output, wo);
}

// --weights int4: weight-only, no calibration.
int quantize_int4(const QuantizeArgs& a) {
  auto model = load_model(a.model);
  if (!model) return report(model.error());
  Int4Options o;
  o.block_size = a.block_size;
  if (a.int4_compute != "int8" && a.int4_compute != "float")
    return report(
        invalid_argument("--int4-compute must be int8 or float, got '" + a.int4_compute + "'"));
  o.int8_compute = a.int4_compute == "int8";
  o.keep_float.insert(a.keep_float.begin(), a.keep_float.end());
  auto q = quantize_weights_int4(**model, o);
  if (!q) return report(q.error());
  if (q->quantized.empty())
    return report(invalid_argument(
        a.model +
        " has no MatMul, Gemm or 1x1 Conv with constant float weights to quantize to int4"));
  if (Status st = write_quantized(*q->model, a); !st.ok()) return report(st.error());
  if (a.json) {
    nlohmann::ordered_json j;
    j["model"] = a.model;
    j["output"] = a.output;
    j["weights"] = "int4";
    j["block_size"] = a.block_size;
    j["quantized_nodes"] = q->quantized;
    j["float_constant_bytes"] = constant_bytes(**model);
    j["constant_bytes"] = constant_bytes(*q->model);
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("model:        %s\n", a.model.c_str());
    std::printf("output:       %s\n", a.output.c_str());
    std::printf(
        "quantized:    %zu nodes (MatMul, Gemm, 1x1 Conv) to int4 weights, blocks of %lld, float "
        "activations\n",
        q->quantized.size(), static_cast<long long>(a.block_size));
    std::printf("constants:    %zu bytes (float model: %zu)\n", constant_bytes(*q->model),
                constant_bytes(**model));
  }
  return 0;
}

int quantize(const QuantizeArgs& a) {
  if (a.per_tensor && a.per_channel)
    return report(invalid_argument("--per-channel and --per-tensor exclude each other"));
  if (a.weights == "int4") {
    if (a.max_drop >= 0)
      return report(unsupported("--max-accuracy-drop is not available with --weights int4"));
    return quantize_int4(a);
  }
  if (a.weights != "int8")
    return report(invalid_argument("--weights must be int8 or int4, got '" + a.weights + "'"));
  if (a.calibration.empty())
    return report(invalid_argument("int8 quantization needs --calibration DATA"));
  if (a.activations != "uint8" && a.activations != "int8")
    return report(
        invalid_argument("--activations must be uint8 or int8, got '" + a.activations + "'"));
  if (a.samples < 1) return report(invalid_argument("--samples must be at least 1"));
  auto method = parse_range_method(a.method);
  if (!method) return report(method.error());

  auto model = load_model(a.model);
  if (!model) return report(model.error());
  // Value types tell activations from shape arithmetic (which Adds to quantize).
  if (Status st = infer_types((*model)->graph, (*model)->opset("")); !st.ok())
    return report(std::move(st).error().with_context(a.model));
  auto input = pick_input(**model, a.input);
  if (!input) return report(std::move(input).error().with_context(a.model));

  DatasetOptions dopts;
  if (Status st = parse_scale(a.scale, dopts); !st.ok()) return report(st.error());
  dopts.preprocess = a.preprocess;
  auto data = load_dataset(a.calibration, dopts);
  if (!data) return report(data.error());
  if (!a.labels.empty()) {
    auto labels = load_labels(a.labels);
    if (!labels) return report(labels.error());
    data->labels = std::move(*labels);
  }
  if (a.balance && data->labels.empty())
    return report(invalid_argument(
        "--balance-classes needs labels: --labels, or a folder of images by class"));
  if (Status st = fit_to_input(*data, *input); !st.ok()) return report(st.error());
  std::vector<int64_t> indices;
  if (a.balance) {
    auto subset = balanced_subset(*data, a.samples);
    if (!subset) return report(subset.error());
    indices = std::move(*subset);
  } else {
    for (int64_t i = 0; i < std::min(a.samples, data->size()); ++i) indices.push_back(i);
  }

  QuantizeOptions qopts;
  qopts.per_channel = !a.per_tensor;
  qopts.unsigned_activations = a.activations == "uint8";
  qopts.keep_float.insert(a.keep_float.begin(), a.keep_float.end());
  for (const auto& name : qopts.keep_float) {
    bool found = false;
    for (const Node& n : (*model)->graph.nodes) found |= n.name == name;
    if (!found)
      return report(invalid_argument("--keep-float: the model has no node named '" + name + "'"));
  }
  const auto names = tensors_to_calibrate(**model, qopts);
  if (names.empty())
    return report(invalid_argument(
        a.model + " has no Conv, Gemm or MatMul with constant weights to quantize"));
  CalibrationOptions copts;
  copts.method = *method;
  copts.percentile = a.percentile;
  copts.unsigned_activations = qopts.unsigned_activations;
  auto ranges = calibrate(*model, *data, input->name, names, indices, copts);
  if (!ranges) return report(std::move(ranges).error().with_context("calibration"));
  std::shared_ptr<Model> result;
  std::optional<MixedPrecisionResult> mixed;
  MixedCost cost;
  if (a.max_drop >= 0) {
    if (a.validation.empty())
      return report(invalid_argument("--max-accuracy-drop needs --validation DATA"));
    auto vdata = load_dataset(a.validation, dopts);
    if (!vdata) return report(vdata.error());
    if (!a.validation_labels.empty()) {
      auto vlabels = load_labels(a.validation_labels);
      if (!vlabels) return report(vlabels.error());
      vdata->labels = std::move(*vlabels);
    }
    // (a folder with one subfolder per class brings its own labels)
    if (vdata->labels.empty())
      return report(invalid_argument(
          "--max-accuracy-drop needs labelled validation data: --validation-labels LABELS, or a "
          "folder of class subfolders"));
    if (Status st = fit_to_input(*vdata, *input); !st.ok()) return report(st.error());
    MixedPrecisionOptions mo;
    mo.max_accuracy_drop = a.max_drop;
    auto m = quantize_within_budget(*model, *ranges, qopts, *vdata, input->name, mo);
    if (!m) return report(std::move(m).error().with_context("mixed precision"));
    mixed = std::move(*m);
    result = mixed->model;
    auto x = vdata->sample(0);
    if (!x) return report(x.error());
    auto c = mixed_cost(**model, *result, *ranges, qopts, input->name, *x);
    if (!c) return report(std::move(c).error().with_context("mixed precision latency"));
    cost = *c;
  } else {
    auto quantized = quantize_qdq(**model, *ranges, qopts);
    if (!quantized) return report(quantized.error());
    result = *quantized;
  }
  if (Status st = write_quantized(*result, a); !st.ok()) return report(st.error());

  const auto nodes = quantizable_nodes(**model);
  const size_t float_count = qopts.keep_float.size() + (mixed ? mixed->kept_float.size() : 0);
  const size_t quantized_count = nodes.size() - std::min(nodes.size(), float_count);
  std::string kinds;  // the operators of the quantizable nodes, "Add, Conv, Gemm"
  {
    const std::set<std::string> names(nodes.begin(), nodes.end());
    std::set<std::string> ops;
    for (const Node& n : (*model)->graph.nodes)
      if (names.count(n.name)) ops.insert(n.op_type);
    for (const auto& op : ops) kinds += (kinds.empty() ? "" : ", ") + op;
  }
  if (a.json) {
    nlohmann::ordered_json j;
    j["model"] = a.model;
    j["output"] = a.output;
    j["method"] = range_method_name(*method);
    j["per_channel"] = qopts.per_channel;
    j["activations"] = a.activations;
    j["calibration_samples"] = indices.size();
    j["quantized_nodes"] = quantized_count;
    std::vector<std::string> float_nodes = a.keep_float;
    if (mixed)
      float_nodes.insert(float_nodes.end(), mixed->kept_float.begin(), mixed->kept_float.end());
    j["float_nodes"] = float_nodes;
    j["float_constant_bytes"] = constant_bytes(**model);
    j["constant_bytes"] = constant_bytes(*result);
    if (mixed) {
      nlohmann::ordered_json m;
      m["max_accuracy_drop"] = a.max_drop;
      m["float_accuracy"] = mixed->float_accuracy;
      m["all_int8_accuracy"] = mixed->all_int8_accuracy;
      m["final_accuracy"] = mixed->final_accuracy;
      m["within_budget"] = mixed->within_budget;
      m["returned_to_float"] = mixed->kept_float;
      m["latency_ms"] = {
          {"float", cost.float_ms}, {"all_int8", cost.int8_ms}, {"result", cost.result_ms}};
      m["constant_bytes"] = {{"float", constant_bytes(**model)},
                             {"all_int8", cost.int8_bytes},
                             {"result", constant_bytes(*result)}};
      nlohmann::ordered_json sens = nlohmann::ordered_json::array();
      for (const auto& s : mixed->sensitivity)
        sens.push_back({{"node", s.node}, {"relative_error", s.relative_error}});
      m["sensitivity"] = sens;
      j["mixed_precision"] = m;
    }
    nlohmann::ordered_json r = nlohmann::ordered_json::object();
    for (const auto& [name, range] : *ranges) r[name] = {range.lo, range.hi};
    j["ranges"] = r;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("model:        %s\n", a.model.c_str());
    std::printf("output:       %s (QDQ ONNX)\n", a.output.c_str());
    std::printf("calibration:  %zu samples of %s, method %s\n", indices.size(),
                a.calibration.c_str(), range_method_name(*method));
    std::printf("quantized:    %zu nodes (%s), int8 weights %s, %s activations\n", quantized_count,
                kinds.c_str(), qopts.per_channel ? "per channel" : "per tensor",
                a.activations.c_str());
    if (!a.keep_float.empty()) std::printf("kept float:   %zu nodes\n", a.keep_float.size());
    std::printf("constants:    %zu bytes (float model: %zu)\n", constant_bytes(*result),
                constant_bytes(**model));
    if (mixed) {
      std::printf(
          "accuracy:     float %.2f%%, all int8 %.2f%%, result %.2f%% (budget: %.2f points)\n",
          mixed->float_accuracy, mixed->all_int8_accuracy, mixed->final_accuracy, a.max_drop);
      for (const auto& n : mixed->kept_float) std::printf("back to float: %s\n", n.c_str());
      std::printf(
          "cost:         %.3f ms (all int8 %.3f ms, float %.3f ms; one thread, median "
          "of 30), %zu constant bytes (all int8 %zu)\n",
          cost.result_ms, cost.int8_ms, cost.float_ms, constant_bytes(*result), cost.int8_bytes);
      if (!mixed->within_budget)
        std::printf("note:         not within budget even with every layer in float\n");
    }
  }
  if (mixed && !mixed->within_budget)
    return report(invalid_argument("the accuracy budget cannot be met (float " +
                                   std::to_string(mixed->float_accuracy) + "%, best " +
                                   std::to_string(mixed->final_accuracy) + "%); " + a.output +
                                   " holds the closest model"));
  return 0;
}

}  // namespace

void add_quantize_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand("quantize",
                                     "Post-training quantization: int8 with calibration, or "
                                     "weight-only int4; writes ONNX or .ledge");
  cmd->add_option("model", a->model, "float ONNX model")->required();
  cmd->add_option("--calibration", a->calibration,
                  "calibration data: IDX, .npy, .pb, or a folder of .npy/.pb files or of "
                  "images (PNG, JPEG; flat or one subfolder per class); not needed for "
                  "--weights int4");
  cmd->add_option("--preprocess", a->preprocess,
                  "for images: resize=S|WxH,crop=S|WxH,channels=rgb|bgr|gray,layout=nchw|nhwc,"
                  "scale=1/255,mean=a/b/c,std=a/b/c (docs/data.md)");
  cmd->add_option("-o,--output", a->output,
                  "QDQ ONNX model (.onnx) or int8 artifact (.ledge) to write")
      ->required();
  cmd->add_option("--labels", a->labels, "class labels of the calibration data (IDX, .npy, .txt)");
  cmd->add_flag("--balance-classes", a->balance,
                "calibrate on a class-balanced subset (needs --labels)");
  cmd->add_option("--samples", a->samples, "calibration samples (default 1000)");
  cmd->add_option("--method", a->method, "minmax (default), percentile, entropy or mse");
  cmd->add_option("--percentile", a->percentile, "for --method percentile (default 99.99)");
  cmd->add_flag("--per-channel", a->per_channel, "one weight scale per output channel (default)");
  cmd->add_flag("--per-tensor", a->per_tensor, "one weight scale per tensor");
  cmd->add_option("--weights", a->weights,
                  "int8 (default; weights and activations) or int4 (weight-only, block-wise, "
                  "MatMul/Gemm)");
  cmd->add_option("--block-size", a->block_size, "int4: weights per scale (default 32)");
  cmd->add_option("--int4-compute", a->int4_compute,
                  "int4: int8 (default: activations rounded to int8 per block, integer dot "
                  "products) or float");
  cmd->add_option("--activations", a->activations, "uint8 (default) or int8");
  cmd->add_option("--keep-float", a->keep_float, "leave this node in float; repeatable");
  cmd->add_option("--input", a->input, "the model input the data feed (when it has several)");
  cmd->add_option("--scale", a->scale, "factor for integer data (default 1/255)");
  cmd->add_option("--max-accuracy-drop", a->max_drop,
                  "return sensitive layers to float until top-1 accuracy on the validation "
                  "data is within this many points of the float model's");
  cmd->add_option("--validation", a->validation, "validation data for --max-accuracy-drop");
  cmd->add_option("--validation-labels", a->validation_labels, "labels of the validation data");
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->callback([a, &exit_code]() { exit_code = quantize(*a); });
}

}  // namespace ledge::cli
