// Calibration: runs the float model on sample data and chooses, for every activation that
// will be quantized, the range [lo, hi] its int8/uint8 values must cover.
//
//   LEDGE_ASSIGN(auto ranges, calibrate(model, data, names, {.method = RangeMethod::kPercentile}));
//
// Methods (what a demanding user picks between):
//   minmax      the observed minimum and maximum: nothing clipped, coarse steps when a few
//               outliers stretch the range
//   percentile  the range holding `percentile` % of the values (default 99.99): clips rare
//               outliers
//   entropy     the clipping threshold whose quantized histogram keeps the most information
//               (smallest KL divergence from the observed one; TensorRT's method)
//   mse         the threshold with the smallest expected squared quantization error,
//               clipping included
// Every method sees the same histogram: 2048 bins over [-max|x|, max|x|], filled after
// a first pass found max|x|.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "ir/graph.h"

namespace ledge {

enum class RangeMethod { kMinMax, kPercentile, kEntropy, kMse };
Expected<RangeMethod> parse_range_method(const std::string& name);
const char* range_method_name(RangeMethod m);

struct Range {
  float lo = 0, hi = 0;
};

// The statistics of one tensor over all calibration samples.
class TensorHistogram {
 public:
  static constexpr int kBins = 2048;
  // First pass: the extremes.
  void observe_extremes(const float* v, int64_t n);
  // Second pass: the histogram over [-max|x|, max|x|].
  void observe(const float* v, int64_t n);
  // The range the method chooses. Always contains 0 (zero must be exact after quantization)
  // and is never empty.
  Range range(RangeMethod method, double percentile, bool unsigned_levels) const;

  float min() const { return min_; }
  float max() const { return max_; }
  int64_t count() const { return count_; }

 private:
  float min_ = 0, max_ = 0;
  bool seen_ = false;
  int64_t count_ = 0;
  std::vector<double> bins_;  // kBins, over [-limit, limit]
  double limit() const;
};

struct CalibrationOptions {
  RangeMethod method = RangeMethod::kMinMax;
  double percentile = 99.99;
  bool unsigned_activations = false;  // uint8 activations (else int8)
  int64_t batch = 32;
};

// Runs `model` (as written, reference kernels, so every named tensor is observable) on the
// samples at `indices` of `data` (all when empty), feeding `input`, and returns the range
// of every tensor in `names`.
Expected<std::map<std::string, Range>> calibrate(std::shared_ptr<Model> model, const Dataset& data,
                                                 const std::string& input,
                                                 const std::set<std::string>& names,
                                                 const std::vector<int64_t>& indices,
                                                 const CalibrationOptions& options);

}  // namespace ledge
