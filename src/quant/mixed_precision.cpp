#include "quant/mixed_precision.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/session.h"

namespace ledge {

namespace {

// Runs the model over samples [0, count) in batches; calls `each(batch_first, rows, output)`
// with the first output of every batch (rows: real samples in it).
Status for_each_batch(std::shared_ptr<Model> model, const Dataset& data, const std::string& input,
                      int64_t count, int64_t batch,
                      const std::function<Status(int64_t, int64_t, const Tensor&)>& each) {
  LEDGE_ASSIGN(auto session, Session::create(std::move(model)));
  const int64_t fixed = fixed_batch_size(*session, input);
  const int64_t step = fixed > 0 ? fixed : std::max<int64_t>(1, batch);
  for (int64_t first = 0; first < count; first += step) {
    const int64_t rows = std::min(step, count - first);
    Shape shape = data.samples.shape();
    shape[0] = fixed > 0 ? fixed : rows;
    LEDGE_ASSIGN(Tensor x, Tensor::make(DType::kFloat32, shape));
    const size_t row = x.nbytes() / static_cast<size_t>(shape[0]);
    std::memcpy(x.raw(), static_cast<const uint8_t*>(data.samples.raw()) + first * row,
                row * static_cast<size_t>(rows));
    LEDGE_ASSIGN(auto out, session->run({{input, x}}));
    if (out.empty() || out[0].numel() % shape[0] != 0)
      return invalid_argument("the model's first output does not hold one row per sample");
    LEDGE_TRY(each(first, rows, out[0]));
  }
  return Status();
}

double accuracy(const std::vector<int64_t>& predicted, const std::vector<int64_t>& labels) {
  int64_t correct = 0;
  for (size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == labels[i];
  return predicted.empty()
             ? 0
             : 100.0 * static_cast<double>(correct) / static_cast<double>(predicted.size());
}

// The first output's values for the first `count` samples, as doubles.
Expected<std::vector<double>> outputs(std::shared_ptr<Model> model, const Dataset& data,
                                      const std::string& input, int64_t count, int64_t batch) {
  std::vector<double> all;
  LEDGE_TRY(for_each_batch(std::move(model), data, input, count, batch,
                           [&](int64_t, int64_t rows, const Tensor& out) {
                             const int64_t per_row = out.numel() / out.dim(0);
                             for (int64_t i = 0; i < rows * per_row; ++i)
                               all.push_back(out.as_double(i));
                             return Status();
                           }));
  return all;
}

}  // namespace

Expected<std::vector<int64_t>> predict_top1(std::shared_ptr<Model> model, const Dataset& data,
                                            const std::string& input, int64_t batch) {
  std::vector<int64_t> top(static_cast<size_t>(data.size()), -1);
  LEDGE_TRY(for_each_batch(std::move(model), data, input, data.size(), batch,
                           [&](int64_t first, int64_t rows, const Tensor& out) {
                             const int64_t k = out.numel() / out.dim(0);
                             for (int64_t i = 0; i < rows; ++i) {
                               int64_t best = -1;
                               double best_v = 0;
                               for (int64_t c = 0; c < k; ++c) {
                                 const double v = out.as_double(i * k + c);
                                 if (!std::isnan(v) && (best < 0 || v > best_v))
                                   best = c, best_v = v;
                               }
                               top[static_cast<size_t>(first + i)] = best;
                             }
                             return Status();
                           }));
  return top;
}

Expected<MixedPrecisionResult> quantize_within_budget(std::shared_ptr<Model> model,
                                                      const std::map<std::string, Range>& ranges,
                                                      const QuantizeOptions& base,
                                                      const Dataset& validation,
                                                      const std::string& input,
                                                      const MixedPrecisionOptions& o) {
  if (validation.labels.empty())
    return invalid_argument("--max-accuracy-drop needs labelled validation data (--labels)");
  if (static_cast<int64_t>(validation.labels.size()) != validation.size())
    return invalid_argument("validation data: " + std::to_string(validation.labels.size()) +
                            " labels for " + std::to_string(validation.size()) + " samples");
  MixedPrecisionResult r;
  LEDGE_ASSIGN(auto float_top, predict_top1(model, validation, input, o.batch));
  r.float_accuracy = accuracy(float_top, validation.labels);

  QuantizeOptions options = base;
  LEDGE_ASSIGN(auto quantized, quantize_qdq(*model, ranges, options));
  LEDGE_ASSIGN(auto top, predict_top1(quantized, validation, input, o.batch));
  r.all_int8_accuracy = r.final_accuracy = accuracy(top, validation.labels);
  r.model = quantized;
  r.within_budget = r.float_accuracy - r.final_accuracy <= o.max_accuracy_drop;

  // Sensitivity of every layer the options quantize, measured alone.
  std::vector<std::string> candidates;
  for (const auto& name : quantizable_nodes(*model))
    if (!base.keep_float.count(name)) candidates.push_back(name);
  if (!r.within_budget) {
    const int64_t count = std::min(o.sensitivity_samples, validation.size());
    LEDGE_ASSIGN(auto reference, outputs(model, validation, input, count, o.batch));
    double power = 0;
    for (double v : reference) power += v * v;
    for (const auto& node : candidates) {
      QuantizeOptions only = base;
      for (const auto& other : candidates)
        if (other != node) only.keep_float.insert(other);
      LEDGE_ASSIGN(auto one, quantize_qdq(*model, ranges, only));
      LEDGE_ASSIGN(auto got, outputs(one, validation, input, count, o.batch));
      double noise = 0;
      for (size_t i = 0; i < got.size() && i < reference.size(); ++i)
        noise += (got[i] - reference[i]) * (got[i] - reference[i]);
      r.sensitivity.push_back({node, power > 0 ? noise / power : noise});
    }
    std::stable_sort(r.sensitivity.begin(), r.sensitivity.end(),
                     [](const LayerSensitivity& a, const LayerSensitivity& b) {
                       return a.relative_error > b.relative_error;
                     });
    for (const auto& s : r.sensitivity) {
      options.keep_float.insert(s.node);
      r.kept_float.push_back(s.node);
      LEDGE_ASSIGN(r.model, quantize_qdq(*model, ranges, options));
      LEDGE_ASSIGN(top, predict_top1(r.model, validation, input, o.batch));
      r.final_accuracy = accuracy(top, validation.labels);
      if (r.float_accuracy - r.final_accuracy <= o.max_accuracy_drop) {
        r.within_budget = true;
        break;
      }
    }
  }
  return r;
}

}  // namespace ledge
