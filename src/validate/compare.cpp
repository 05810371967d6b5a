#include "validate/compare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "runtime/session.h"

namespace ledge {

namespace {

using Clock = std::chrono::steady_clock;

Expected<std::string> pick_input(const Model& m, const std::string& name) {
  std::vector<std::string> inputs;
  for (const auto& in : m.graph.inputs)
    if (!m.graph.initializers.count(in.name)) inputs.push_back(in.name);
  if (!name.empty()) {
    if (std::find(inputs.begin(), inputs.end(), name) == inputs.end())
      return invalid_argument("the model has no input named '" + name + "'");
    return name;
  }
  if (inputs.size() != 1)
    return invalid_argument("the model has " + std::to_string(inputs.size()) +
                            " inputs; choose the one the data feed with --input");
  return inputs[0];
}

// Samples [first, first + count) as one batch of `rows` rows (zero rows after the data
// when the model's batch size is fixed).
Expected<Tensor> make_batch(const Dataset& d, int64_t first, int64_t count, int64_t rows) {
  Shape shape = d.samples.shape();
  shape[0] = rows;
  LEDGE_ASSIGN(Tensor t, Tensor::make(DType::kFloat32, shape));
  const size_t row = t.nbytes() / static_cast<size_t>(rows);
  std::memcpy(t.raw(),
              static_cast<const uint8_t*>(d.samples.raw()) + static_cast<size_t>(first) * row,
              row * static_cast<size_t>(count));
  return t;
}

double score(const Tensor& out, int64_t i, int64_t k, int64_t c) {
  return out.dtype() == DType::kFloat32 ? out.data<float>()[i * k + c] : out.as_double(i * k + c);
}

// The index of the largest score (the first on ties; NaN never wins), -1 if all are NaN.
int64_t top1(const Tensor& out, int64_t i, int64_t k) {
  int64_t best = -1;
  double best_v = 0;
  for (int64_t c = 0; c < k; ++c) {
    const double v = score(out, i, k, c);
    if (std::isnan(v)) continue;
    if (best < 0 || v > best_v) best = c, best_v = v;
  }
  return best;
}

// True when fewer than five classes score above the label's.
bool in_top5(const Tensor& out, int64_t i, int64_t k, int64_t label) {
  if (label < 0 || label >= k) return false;
  const double v = score(out, i, k, label);
  if (std::isnan(v)) return false;
  int64_t above = 0;
  for (int64_t c = 0; c < k; ++c) above += score(out, i, k, c) > v;
  return above < 5;
}

// Running sums for one tensor's SQNR and cosine similarity.
struct LayerSums {
  double ref2 = 0, cand2 = 0, diff2 = 0, dot = 0;
  int64_t n = 0;
};

Status compare_layers(std::shared_ptr<Model> reference, std::shared_ptr<Model> candidate,
                      const Dataset& data, const std::string& input, const CompareOptions& o,
                      ValidationReport& r) {
  SessionOptions plain;
  plain.optimize = false;  // every tensor of the graphs as written
  LEDGE_ASSIGN(auto rs, Session::create(std::move(reference), plain));
  LEDGE_ASSIGN(auto cs, Session::create(std::move(candidate), plain));
  const int64_t total = std::min(o.layer_samples, data.size());
  int64_t batch = std::min<int64_t>(8, std::max<int64_t>(1, o.batch));  // tensors are kept
  const int64_t fixed = fixed_batch_size(*rs, input);
  if (fixed > 0) batch = fixed;
  std::map<std::string, LayerSums> sums;
  std::map<std::string, Tensor> kept;
  for (int64_t first = 0; first < total; first += batch) {
    const int64_t count = std::min(batch, total - first);
    const int64_t rows = fixed > 0 ? fixed : count;
    LEDGE_ASSIGN(Tensor x, make_batch(data, first, count, rows));
    kept.clear();
    RunOptions keep;
    keep.observer = [&](const Node&, const std::string& name, const Tensor& v) {
      if (v.dtype() != DType::kFloat32) return;
      auto c = v.clone();
      if (c.ok()) kept[name] = std::move(*c);
    };
    LEDGE_TRY(rs->run({{input, x}}, keep).status());
    RunOptions cmp;
    cmp.observer = [&](const Node&, const std::string& name, const Tensor& v) {
      auto it = kept.find(name);
      if (it == kept.end() || v.dtype() != DType::kFloat32 || v.shape() != it->second.shape())
        return;
      // Only the rows of real samples count (a fixed batch is padded with zeros).
      const int64_t n = v.numel() / std::max<int64_t>(1, rows) * count;
      const float* a = it->second.data<float>();
      const float* b = v.data<float>();
      LayerSums& s = sums[name];
      for (int64_t i = 0; i < n; ++i) {
        s.ref2 += double(a[i]) * a[i];
        s.cand2 += double(b[i]) * b[i];
        s.diff2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        s.dot += double(a[i]) * b[i];
      }
      s.n += n;
    };
    LEDGE_TRY(cs->run({{input, x}}, cmp).status());
  }
  for (const auto& [name, s] : sums) {
    LayerScore l;
    l.tensor = name;
    l.elements = s.n;
    l.sqnr_db =
        s.diff2 > 0 ? 10 * std::log10(s.ref2 / s.diff2) : std::numeric_limits<double>::infinity();
    l.cosine = s.ref2 > 0 && s.cand2 > 0 ? s.dot / std::sqrt(s.ref2 * s.cand2) : (s.diff2 == 0);
    r.layers.push_back(l);
  }
  std::stable_sort(r.layers.begin(), r.layers.end(),
                   [](const LayerScore& a, const LayerScore& b) { return a.sqnr_db < b.sqnr_db; });
  return Status();
}

}  // namespace

Expected<ValidationReport> compare_models(std::shared_ptr<Model> reference,
                                          std::shared_ptr<Model> candidate, const Dataset& data,
                                          const CompareOptions& o) {
  ValidationReport r;
  r.data_name = data.source;
  r.samples = data.size();
  r.has_labels = !data.labels.empty();
  if (r.samples == 0) return invalid_argument("no samples to validate on");
  if (r.has_labels && static_cast<int64_t>(data.labels.size()) != r.samples)
    return invalid_argument(std::to_string(data.labels.size()) + " labels for " +
                            std::to_string(r.samples) + " samples");
  LEDGE_ASSIGN(std::string input, pick_input(*reference, o.input));
  LEDGE_TRY(pick_input(*candidate, input).status());
  if (o.layer_samples > 0) LEDGE_TRY(compare_layers(reference, candidate, data, input, o, r));

  SessionOptions so;
  so.threads = o.threads;
  LEDGE_ASSIGN(auto rs, Session::create(reference, so));
  LEDGE_ASSIGN(auto cs, Session::create(candidate, so));
  if (rs->outputs().empty() || cs->outputs().empty())
    return invalid_model("a model without outputs");
  const int64_t fixed = fixed_batch_size(*rs, input);
  const int64_t batch = fixed > 0 ? fixed : std::max<int64_t>(1, o.batch);

  std::vector<double> brightness(static_cast<size_t>(r.samples));
  std::vector<int64_t> ref_top(static_cast<size_t>(r.samples)), cand_top(brightness.size());
  const int64_t per_sample = data.samples.numel() / r.samples;
  for (int64_t first = 0; first < r.samples; first += batch) {
    const int64_t count = std::min(batch, r.samples - first);
    LEDGE_ASSIGN(Tensor x, make_batch(data, first, count, fixed > 0 ? fixed : count));
    auto t0 = Clock::now();
    LEDGE_ASSIGN(auto ro, rs->run({{input, x}}));
    auto t1 = Clock::now();
    LEDGE_ASSIGN(auto co, cs->run({{input, x}}));
    auto t2 = Clock::now();
    r.reference_seconds += std::chrono::duration<double>(t1 - t0).count();
    r.candidate_seconds += std::chrono::duration<double>(t2 - t1).count();
    const Tensor& a = ro[0];
    const Tensor& b = co[0];
    const int64_t rows = x.dim(0);
    if (a.numel() % rows != 0 || a.numel() != b.numel() || a.numel() == 0)
      return invalid_argument("the models' first outputs are " + shape_to_string(a.shape()) +
                              " and " + shape_to_string(b.shape()) + " for a batch of " +
                              std::to_string(rows) +
                              "; validate compares classifiers' scores [N, K]");
    const int64_t k = a.numel() / rows;
    r.classes = std::max(r.classes, k);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t s = first + i;
      const float* px = data.samples.data<float>() + s * per_sample;
      double sum = 0;
      for (int64_t j = 0; j < per_sample; ++j) sum += px[j];
      brightness[static_cast<size_t>(s)] = per_sample ? sum / static_cast<double>(per_sample) : 0;
      ref_top[static_cast<size_t>(s)] = top1(a, i, k);
      cand_top[static_cast<size_t>(s)] = top1(b, i, k);
      if (r.has_labels) {
        const int64_t label = data.labels[static_cast<size_t>(s)];
        r.reference.top1 += ref_top[static_cast<size_t>(s)] == label;
        r.candidate.top1 += cand_top[static_cast<size_t>(s)] == label;
        r.reference.top5 += in_top5(a, i, k, label);
        r.candidate.top5 += in_top5(b, i, k, label);
      }
    }
    if (o.progress) o.progress(first + count, r.samples);
  }

  // Labels may name classes the model does not have; the matrices cover both.
  int64_t classes = r.classes;
  if (r.has_labels)
    for (int64_t l : data.labels) classes = std::max(classes, l + 1);
  auto label_of = [&](int64_t s) {
    return r.has_labels ? data.labels[static_cast<size_t>(s)] : -1;
  };
  if (r.has_labels) {
    r.reference_confusion.assign(static_cast<size_t>(classes),
                                 std::vector<int64_t>(static_cast<size_t>(classes)));
    r.candidate_confusion = r.reference_confusion;
  }
  std::map<int64_t, SliceScores> by_class;
  for (int64_t s = 0; s < r.samples; ++s) {
    const auto i = static_cast<size_t>(s);
    const bool agree = ref_top[i] == cand_top[i];
    r.agree += agree;
    const int64_t label = label_of(s);
    if (!agree) {
      Disagreement d;
      d.sample = s;
      d.label = label;
      d.reference = ref_top[i];
      d.candidate = cand_top[i];
      d.brightness = brightness[i];
      r.disagreements.push_back(d);
    }
    if (!r.has_labels) continue;
    if (ref_top[i] >= 0)
      ++r.reference_confusion[static_cast<size_t>(label)][static_cast<size_t>(ref_top[i])];
    if (cand_top[i] >= 0)
      ++r.candidate_confusion[static_cast<size_t>(label)][static_cast<size_t>(cand_top[i])];
    SliceScores& c = by_class[label];
    c.name = "class " + std::to_string(label);
    ++c.samples;
    c.reference_correct += ref_top[i] == label;
    c.candidate_correct += cand_top[i] == label;
    c.agree += agree;
  }
  for (auto& [label, c] : by_class) r.class_slices.push_back(c);

  // Brightness quartiles (by rank, so ties do not empty a slice).
  std::vector<int64_t> order(static_cast<size_t>(r.samples));
  for (int64_t s = 0; s < r.samples; ++s) order[static_cast<size_t>(s)] = s;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return brightness[static_cast<size_t>(a)] < brightness[static_cast<size_t>(b)];
  });
  for (int q = 0; q < 4; ++q) {
    const int64_t lo = r.samples * q / 4, hi = r.samples * (q + 1) / 4;
    if (hi <= lo) continue;
    SliceScores sl;
    char name[96];
    std::snprintf(name, sizeof name, "brightness Q%d (%.3f-%.3f)", q + 1,
                  brightness[static_cast<size_t>(order[static_cast<size_t>(lo)])],
                  brightness[static_cast<size_t>(order[static_cast<size_t>(hi - 1)])]);
    sl.name = name;
    for (int64_t j = lo; j < hi; ++j) {
      const int64_t s = order[static_cast<size_t>(j)];
      const auto i = static_cast<size_t>(s);
      ++sl.samples;
      sl.agree += ref_top[i] == cand_top[i];
      if (r.has_labels) {
        sl.reference_correct += ref_top[i] == label_of(s);
        sl.candidate_correct += cand_top[i] == label_of(s);
      }
    }
    r.brightness_slices.push_back(sl);
  }
  return r;
}

}  // namespace ledge
