// ledge validate --reference A --candidate B --data X [--labels Y] [--json] [--html FILE]
//                [--brightness F] [--limit N] [--layer-samples N] [--input NAME] [--scale S]
//                [--batch B] [--threads N] [--preprocess SPEC] [--normalize standardize]
//
// Where a candidate model (quantized, optimized) differs from its reference on real data:
// accuracy, agreement, per-class and per-brightness slices, per-layer SQNR, the disagreeing
// samples (src/validate/compare.h). --brightness multiplies every input value (0.35: the
// darkened test set), to see how each model copes with a change of light; --normalize
// standardize then standardizes each sample (data/preprocess.h), as a camera pipeline with
// normalize=standardize would after the light changed.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"
#include "validate/compare.h"
#include "validate/html_report.h"

namespace ledge::cli {

namespace {

struct ValidateArgs {
  std::string reference, candidate, data, labels, html, input, scale = "1/255", preprocess;
  std::string normalize;  // "" or "standardize": after --brightness, on every data format
  double brightness = 1.0;
  int64_t limit = -1, layer_samples = 64, batch = 64, threads = 1;
  bool json = false;
};

std::string pct(int64_t part, int64_t whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%",
                whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  return buf;
}

nlohmann::ordered_json to_json(const ValidationReport& r) {
  nlohmann::ordered_json j;
  j["reference"] = r.reference_name;
  j["candidate"] = r.candidate_name;
  j["data"] = r.data_name;
  j["samples"] = r.samples;
  j["classes"] = r.classes;
  if (r.has_labels) {
    j["reference_top1"] = static_cast<double>(r.reference.top1) / static_cast<double>(r.samples);
    j["candidate_top1"] = static_cast<double>(r.candidate.top1) / static_cast<double>(r.samples);
    j["reference_top5"] = static_cast<double>(r.reference.top5) / static_cast<double>(r.samples);
    j["candidate_top5"] = static_cast<double>(r.candidate.top5) / static_cast<double>(r.samples);
    j["reference_correct"] = r.reference.top1;
    j["candidate_correct"] = r.candidate.top1;
  }
  j["agreement"] = static_cast<double>(r.agree) / static_cast<double>(r.samples);
  j["changed_predictions"] = r.samples - r.agree;
  auto slices = [](const std::vector<SliceScores>& v) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& s : v)
      a.push_back({{"slice", s.name},
                   {"samples", s.samples},
                   {"reference_correct", s.reference_correct},
                   {"candidate_correct", s.candidate_correct},
                   {"agree", s.agree}});
    return a;
  };
  j["brightness_slices"] = slices(r.brightness_slices);
  j["class_slices"] = slices(r.class_slices);
  if (r.has_labels) {
    j["reference_confusion"] = r.reference_confusion;
    j["candidate_confusion"] = r.candidate_confusion;
  }
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const auto& l : r.layers)
    layers.push_back({{"tensor", l.tensor},
                      {"sqnr_db", std::isfinite(l.sqnr_db) ? nlohmann::ordered_json(l.sqnr_db)
                                                           : nlohmann::ordered_json(nullptr)},
                      {"cosine", l.cosine},
                      {"elements", l.elements}});
  j["layers"] = layers;
  nlohmann::ordered_json dis = nlohmann::ordered_json::array();
  for (const auto& d : r.disagreements)
    dis.push_back({{"sample", d.sample},
                   {"name", d.name},
                   {"label", d.label},
                   {"reference", d.reference},
                   {"candidate", d.candidate},
                   {"brightness", d.brightness}});
  j["disagreements"] = dis;
  j["reference_seconds"] = r.reference_seconds;
  j["candidate_seconds"] = r.candidate_seconds;
  return j;
}

void print_text(const ValidationReport& r) {
  std::printf("reference   %s\ncandidate   %s\ndata        %s (%lld samples, %lld classes)\n",
              r.reference_name.c_str(), r.candidate_name.c_str(), r.data_name.c_str(),
              static_cast<long long>(r.samples), static_cast<long long>(r.classes));
  if (r.has_labels) {
    std::printf("top-1       reference %s, candidate %s\n",
                pct(r.reference.top1, r.samples).c_str(), pct(r.candidate.top1, r.samples).c_str());
    std::printf("top-5       reference %s, candidate %s\n",
                pct(r.reference.top5, r.samples).c_str(), pct(r.candidate.top5, r.samples).c_str());
  }
  std::printf("agreement   %s (%lld predictions changed)\n", pct(r.agree, r.samples).c_str(),
              static_cast<long long>(r.samples - r.agree));
  std::printf("brightness slices (quartiles of mean input value):\n");
  for (const auto& s : r.brightness_slices)
    std::printf("  %-34s %6lld samples  reference %8s  candidate %8s  agree %8s\n", s.name.c_str(),
                static_cast<long long>(s.samples),
                r.has_labels ? pct(s.reference_correct, s.samples).c_str() : "-",
                r.has_labels ? pct(s.candidate_correct, s.samples).c_str() : "-",
                pct(s.agree, s.samples).c_str());
  if (!r.class_slices.empty()) {
    std::printf("per class:\n");
    for (const auto& s : r.class_slices)
      std::printf("  %-10s %6lld samples  reference %8s  candidate %8s  agree %8s\n",
                  s.name.c_str(), static_cast<long long>(s.samples),
                  pct(s.reference_correct, s.samples).c_str(),
                  pct(s.candidate_correct, s.samples).c_str(), pct(s.agree, s.samples).c_str());
  }
  if (!r.layers.empty()) {
    std::printf("layers, worst SQNR first (of %zu compared):\n", r.layers.size());
    for (size_t i = 0; i < r.layers.size() && i < 10; ++i)
      std::printf("  %8.2f dB  cosine %.6f  %s\n", r.layers[i].sqnr_db, r.layers[i].cosine,
                  r.layers[i].tensor.c_str());
  }
  std::printf("disagreeing samples: %zu", r.disagreements.size());
  for (size_t i = 0; i < r.disagreements.size() && i < 10; ++i)
    std::printf("%s%lld", i ? ", " : " (", static_cast<long long>(r.disagreements[i].sample));
  std::printf("%s\n", r.disagreements.empty() ? "" : r.disagreements.size() > 10 ? ", ...)" : ")");
}

int validate(const ValidateArgs& a) {
  if (!(a.brightness > 0) || !std::isfinite(a.brightness))
    return report(invalid_argument("--brightness must be a positive factor"));
  if (!a.normalize.empty() && a.normalize != "standardize")
    return report(invalid_argument("--normalize must be standardize, got '" + a.normalize + "'"));
  DatasetOptions dopts;
  dopts.limit = a.limit;
  dopts.preprocess = a.preprocess;
  if (Status st = parse_scale(a.scale, dopts); !st.ok()) return report(st.error());
  auto data = load_dataset(a.data, dopts);
  if (!data) return report(data.error());
  if (!a.labels.empty()) {
    auto labels = load_labels(a.labels);
    if (!labels) return report(labels.error());
    data->labels = std::move(*labels);
  }  // (a folder of class subfolders brings its own labels)
  auto reference = load_model(a.reference);
  if (!reference) return report(reference.error());
  auto candidate = load_model(a.candidate);
  if (!candidate) return report(candidate.error());
  const ValueInfo* in = nullptr;
  for (const auto& i : (*reference)->graph.inputs)
    if (!(*reference)->graph.initializers.count(i.name) && (a.input.empty() || i.name == a.input))
      in = in ? in : &i;
  if (!in) return report(invalid_argument(a.reference + ": no input to feed"));
  if (Status st = fit_to_input(*data, *in); !st.ok()) return report(st.error());
  if (a.brightness != 1.0) {
    float* p = data->samples.data<float>();
    for (int64_t i = 0; i < data->samples.numel(); ++i) p[i] *= static_cast<float>(a.brightness);
  }
  // Not through --preprocess: that runs while images are decoded, before the darkening.
  if (a.normalize == "standardize") standardize_samples(*data);

  CompareOptions o;
  o.input = in->name;
  o.batch = a.batch;
  o.layer_samples = a.layer_samples;
  o.threads = static_cast<int>(a.threads);
  const bool tty = isatty(STDERR_FILENO);
  if (tty)
    o.progress = [](int64_t done, int64_t total) {
      const int width = 40, filled = static_cast<int>(width * done / std::max<int64_t>(1, total));
      std::fprintf(stderr, "\r[%.*s%*s] %lld/%lld", filled,
                   "########################################", width - filled, "",
                   static_cast<long long>(done), static_cast<long long>(total));
      if (done == total) std::fprintf(stderr, "\n");
    };
  auto r = compare_models(*reference, *candidate, *data, o);
  if (!r) return report(std::move(r).error().with_context("validate"));
  for (auto& d : r->disagreements)
    if (d.sample < static_cast<int64_t>(data->names.size()))
      d.name = data->names[static_cast<size_t>(d.sample)];
  r->reference_name = a.reference;
  r->candidate_name = a.candidate;
  if (a.brightness != 1.0) r->data_name += " x " + std::to_string(a.brightness);
  if (!a.normalize.empty()) r->data_name += ", " + a.normalize;
  if (!a.html.empty()) {
    std::ofstream out(a.html, std::ios::binary);
    out << render_html_report(*r);
    if (!out) return report(io_error("cannot write " + a.html));
  }
  if (a.json)
    std::printf("%s\n", to_json(*r).dump(2).c_str());
  else
    print_text(*r);
  return 0;
}

}  // namespace

void add_validate_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ValidateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Compare a candidate model (quantized, optimized) with its reference on data");
  cmd->add_option("--reference", a->reference, "the reference model (usually float)")->required();
  cmd->add_option("--candidate", a->candidate, "the model to judge")->required();
  cmd->add_option("--data", a->data, "samples: IDX, .npy, .pb, or a folder")->required();
  cmd->add_option("--labels", a->labels, "class labels (IDX, .npy, .txt)");
  cmd->add_flag("--json", a->json, "print the whole report as JSON");
  cmd->add_option("--html", a->html, "also write a self-contained HTML report");
  cmd->add_option("--brightness", a->brightness, "multiply every input value (default 1)");
  cmd->add_option("--limit", a->limit, "use the first N samples");
  cmd->add_option("--layer-samples", a->layer_samples,
                  "samples for the per-layer comparison (default 64; 0 skips it)");
  cmd->add_option("--input", a->input, "the model input the data feed (when it has several)");
  cmd->add_option("--scale", a->scale, "factor for integer data (default 1/255)");
  cmd->add_option("--preprocess", a->preprocess,
                  "for folders of images: resize, crop, channels, layout, scale, mean, std "
                  "(docs/data.md)");
  cmd->add_option("--normalize", a->normalize,
                  "per-sample normalization after --brightness, for any data format "
                  "(standardize: minus the mean, over max(std, 1/sqrt(N)))");
  cmd->add_option("--batch", a->batch, "samples per run (default 64)");
  cmd->add_option("--threads", a->threads, "worker threads (default 1)");
  cmd->callback([a, &exit_code]() { exit_code = validate(*a); });
}

}  // namespace ledge::cli
