// Where two models disagree: a reference (usually the float model) and a candidate (its
// quantized or optimized version), run on the same data.
//
//   LEDGE_ASSIGN(ValidationReport r, compare_models(reference, candidate, data, {}));
//
// The report holds, for classifiers (first output [N, K]):
//   - top-1 and top-5 accuracy of each model (with labels), and their agreement (same top-1);
//   - per-class accuracy and both confusion matrices (with labels);
//   - slices by input brightness (quartiles of each sample's mean value) and by class;
//   - the samples where the two top-1 answers differ;
// and, for every tensor both graphs compute under the same name and shape, the
// signal-to-quantization-noise ratio and cosine similarity of the candidate's values
// against the reference's, worst first (on the first `layer_samples` samples).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "ir/graph.h"

namespace ledge {

struct CompareOptions {
  std::string input;           // the model input the data feed ("" : the only one)
  int64_t batch = 64;          // samples per run
  int64_t layer_samples = 64;  // samples for the per-layer comparison (0: skip it)
  int threads = 1;
  // Called after every batch with (done, total): a progress bar.
  std::function<void(int64_t, int64_t)> progress;
};

struct ModelScores {
  int64_t top1 = 0, top5 = 0;  // correct answers (with labels)
};

struct SliceScores {
  std::string name;  // "brightness Q1 (0.00-0.21)", "class 3"
  int64_t samples = 0;
  int64_t reference_correct = 0, candidate_correct = 0, agree = 0;
};

struct LayerScore {
  std::string tensor;
  double sqnr_db = 0;  // 10 log10(sum ref^2 / sum (ref - cand)^2); +inf when equal
  double cosine = 0;
  int64_t elements = 0;
};

struct Disagreement {
  int64_t sample = 0;
  std::string name;  // the sample's file name, where known
  int64_t label = -1;
  int64_t reference = 0, candidate = 0;  // top-1 classes
  double brightness = 0;
};

struct ValidationReport {
  std::string reference_name, candidate_name, data_name;
  int64_t samples = 0, classes = 0;
  bool has_labels = false;
  ModelScores reference, candidate;
  int64_t agree = 0;  // same top-1
  // confusion[label][predicted], one per model (with labels).
  std::vector<std::vector<int64_t>> reference_confusion, candidate_confusion;
  std::vector<SliceScores> brightness_slices, class_slices;
  std::vector<LayerScore> layers;  // worst (lowest SQNR) first
  std::vector<Disagreement> disagreements;
  double reference_seconds = 0, candidate_seconds = 0;  // time in the models
};

Expected<ValidationReport> compare_models(std::shared_ptr<Model> reference,
                                          std::shared_ptr<Model> candidate, const Dataset& data,
                                          const CompareOptions& options);

}  // namespace ledge
