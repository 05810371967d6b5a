// Automatic mixed precision: quantize everything, measure top-1 accuracy on labelled
// validation data, and while the loss against the float model exceeds the budget, return
// the most sensitive quantized layer to float, one at a time.
//
// A layer's sensitivity is the relative error its quantization alone causes in the
// model's first output (sum of squared differences over sum of squares, every other layer
// float), measured on up to `sensitivity_samples` validation samples. Layers are returned to
// float most sensitive first; accuracy is re-measured on the whole validation set after
// each one.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "ir/graph.h"
#include "quant/calibrate.h"
#include "quant/quantize_qdq.h"

namespace ledge {

struct MixedPrecisionOptions {
  double max_accuracy_drop = 0.0;  // in accuracy points (0.5 = half a percent)
  int64_t sensitivity_samples = 500;
  int64_t batch = 64;
};

struct LayerSensitivity {
  std::string node;
  double relative_error = 0;  // of the model's first output, this layer alone quantized
};

struct MixedPrecisionResult {
  std::shared_ptr<Model> model;               // the quantized model within budget (if reachable)
  std::vector<std::string> kept_float;        // nodes returned to float, in that order
  std::vector<LayerSensitivity> sensitivity;  // every quantizable node, most sensitive first
  double float_accuracy = 0;                  // top-1, in percent
  double all_int8_accuracy = 0;
  double final_accuracy = 0;
  bool within_budget = false;
};

Expected<MixedPrecisionResult> quantize_within_budget(std::shared_ptr<Model> model,
                                                      const std::map<std::string, Range>& ranges,
                                                      const QuantizeOptions& base,
                                                      const Dataset& validation,
                                                      const std::string& input,
                                                      const MixedPrecisionOptions& options);

// Top-1 answers of a classifier (first output [N, K]) on the data, optimized session.
Expected<std::vector<int64_t>> predict_top1(std::shared_ptr<Model> model, const Dataset& data,
                                            const std::string& input, int64_t batch);

}  // namespace ledge
