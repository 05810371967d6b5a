#include "quant/calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "runtime/session.h"

namespace ledge {

Expected<RangeMethod> parse_range_method(const std::string& name) {
  if (name == "minmax") return RangeMethod::kMinMax;
  if (name == "percentile") return RangeMethod::kPercentile;
  if (name == "entropy") return RangeMethod::kEntropy;
  if (name == "mse") return RangeMethod::kMse;
  return invalid_argument("unknown calibration method '" + name +
                          "' (expected minmax, percentile, entropy or mse)");
}

const char* range_method_name(RangeMethod m) {
  switch (m) {
    case RangeMethod::kMinMax:
      return "minmax";
    case RangeMethod::kPercentile:
      return "percentile";
    case RangeMethod::kEntropy:
      return "entropy";
    case RangeMethod::kMse:
      return "mse";
  }
  return "?";
}

void TensorHistogram::observe_extremes(const float* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    if (!seen_) {
      min_ = max_ = v[i];
      seen_ = true;
    }
    min_ = std::min(min_, v[i]);
    max_ = std::max(max_, v[i]);
  }
}

double TensorHistogram::limit() const {
  return std::max<double>({std::fabs(min_), std::fabs(max_), 1e-30});
}

void TensorHistogram::observe(const float* v, int64_t n) {
  if (bins_.empty()) bins_.assign(kBins, 0.0);
  const double l = limit(), width = 2 * l / kBins;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    const auto b = static_cast<int64_t>((v[i] + l) / width);
    bins_[static_cast<size_t>(std::clamp<int64_t>(b, 0, kBins - 1))] += 1;
    ++count_;
  }
}

namespace {

constexpr int kHalf = TensorHistogram::kBins / 2;

// Normalizes d to sum 1 and gives every empty bin a little mass (taken from the others),
// so that the divergence stays finite where one distribution has mass and the other none.
void smooth(std::vector<double>& d) {
  constexpr double kEps = 1e-4;
  double sum = 0;
  size_t zeros = 0;
  for (double v : d) sum += v, zeros += v == 0;
  if (sum <= 0) return;
  const size_t nonzero = d.size() - zeros;
  const double take =
      nonzero ? kEps * static_cast<double>(zeros) / static_cast<double>(nonzero) : 0;
  for (double& v : d) v = v == 0 ? kEps : v / sum - take;
}

// KL divergence of the reference distribution p (the first `n` bins of |x|, with everything
// beyond folded into the last) from q, the first `n` bins alone merged into `levels` levels
// and spread back over the bins where p has mass: TensorRT's entropy calibration. q leaves
// the clipped mass out, so clipping much costs much.
double kl_divergence(const std::vector<double>& magnitude, int n, int levels) {
  std::vector<double> p(magnitude.begin(), magnitude.begin() + n);
  for (size_t i = static_cast<size_t>(n); i < magnitude.size(); ++i) p.back() += magnitude[i];
  std::vector<double> q(static_cast<size_t>(n), 0.0);
  const double per_level = static_cast<double>(n) / levels;
  for (int l = 0; l < levels; ++l) {
    const int start = static_cast<int>(std::floor(l * per_level));
    const int stop = l + 1 == levels
                         ? n
                         : std::max(start + 1, static_cast<int>(std::floor((l + 1) * per_level)));
    double mass = 0;
    int nonzero = 0;
    for (int i = start; i < stop && i < n; ++i) {
      mass += magnitude[static_cast<size_t>(i)];
      nonzero += p[static_cast<size_t>(i)] > 0;
    }
    for (int i = start; i < stop && i < n; ++i)
      if (p[static_cast<size_t>(i)] > 0) q[static_cast<size_t>(i)] = mass / nonzero;
  }
  smooth(p);
  smooth(q);
  double kl = 0;
  for (int i = 0; i < n; ++i) {
    const double pi = p[static_cast<size_t>(i)], qi = q[static_cast<size_t>(i)];
    if (pi > 0 && qi > 0) kl += pi * std::log(pi / qi);
  }
  return kl;
}

}  // namespace

Range TensorHistogram::range(RangeMethod method, double percentile, bool unsigned_levels) const {
  Range r{std::min(min_, 0.f), std::max(max_, 0.f)};
  if (method == RangeMethod::kMinMax || count_ == 0 || bins_.empty()) {
    if (r.hi - r.lo <= 0) r.hi = r.lo + 1e-6f;  // a constant zero tensor still needs a scale
    return r;
  }
  const double l = limit(), width = 2 * l / kBins;
  const bool one_sided = min_ >= 0;  // after Relu: all the levels go to [0, hi]
  // |x| histogram: bin i covers [i, i+1) * width.
  std::vector<double> magnitude(kHalf, 0.0);
  for (int b = 0; b < kBins; ++b) {
    const int m = b >= kHalf ? b - kHalf : kHalf - 1 - b;
    magnitude[static_cast<size_t>(m)] += bins_[static_cast<size_t>(b)];
  }
  double threshold = l;
  if (method == RangeMethod::kPercentile) {
    const double keep = std::clamp(percentile, 0.0, 100.0) / 100.0 * static_cast<double>(count_);
    double seen = 0;
    for (int i = 0; i < kHalf; ++i) {
      seen += magnitude[static_cast<size_t>(i)];
      if (seen >= keep) {
        threshold = (i + 1) * width;
        break;
      }
    }
  } else {
    // Levels one side of zero gets: 255 for one-sided data on uint8, else about 127.
    const int levels = one_sided ? (unsigned_levels ? 255 : 127) : 127;
    double best = std::numeric_limits<double>::infinity();
    const int first = method == RangeMethod::kEntropy ? std::min(levels, kHalf) : 8;
    for (int n = first; n <= kHalf; n += (method == RangeMethod::kEntropy ? 8 : 4)) {
      double cost = 0;
      if (method == RangeMethod::kEntropy) {
        cost = kl_divergence(magnitude, n, levels);
      } else {  // kMse: rounding error inside the range, clipping error beyond it
        const double t = n * width, step = t / levels;
        for (int i = 0; i < kHalf; ++i) {
          const double centre = (i + 0.5) * width, mass = magnitude[static_cast<size_t>(i)];
          if (mass == 0) continue;
          cost += centre <= t ? mass * step * step / 12 : mass * (centre - t) * (centre - t);
        }
      }
      if (cost < best) {
        best = cost;
        threshold = n * width;
      }
    }
  }
  const auto t = static_cast<float>(threshold);
  r.hi = std::min(r.hi, t);
  r.lo = std::max(r.lo, -t);
  if (r.hi - r.lo <= 0) r.hi = r.lo + 1e-6f;
  return r;
}

namespace {

// Rows `indices[first, first + count)` of the samples as one batch.
Expected<Tensor> gather(const Dataset& data, const std::vector<int64_t>& indices, size_t first,
                        size_t count) {
  Shape shape = data.samples.shape();
  shape[0] = static_cast<int64_t>(count);
  LEDGE_ASSIGN(Tensor t, Tensor::make(DType::kFloat32, shape));
  const size_t row = t.nbytes() / count;
  for (size_t i = 0; i < count; ++i)
    std::memcpy(static_cast<uint8_t*>(t.raw()) + i * row,
                static_cast<const uint8_t*>(data.samples.raw()) +
                    static_cast<size_t>(indices[first + i]) * row,
                row);
  return t;
}

}  // namespace

Expected<std::map<std::string, Range>> calibrate(std::shared_ptr<Model> model, const Dataset& data,
                                                 const std::string& input,
                                                 const std::set<std::string>& names,
                                                 const std::vector<int64_t>& indices,
                                                 const CalibrationOptions& options) {
  SessionOptions so;
  so.optimize = false;  // every tensor of the graph as written is observable
  LEDGE_ASSIGN(auto session, Session::create(std::move(model), so));
  const int64_t fixed = fixed_batch_size(*session, input);
  const int64_t batch = fixed > 0 ? fixed : std::max<int64_t>(1, options.batch);
  std::vector<int64_t> picked = indices;
  if (picked.empty())
    for (int64_t i = 0; i < data.size(); ++i) picked.push_back(i);
  for (int64_t i : picked)
    if (i < 0 || i >= data.size()) return invalid_argument("calibration sample index out of range");
  if (picked.empty()) return invalid_argument("no calibration samples");

  std::map<std::string, TensorHistogram> hist;
  for (int pass = 0; pass < 2; ++pass) {
    RunOptions ro;
    ro.observer = [&](const Node&, const std::string& name, const Tensor& value) {
      if (!names.count(name) || value.dtype() != DType::kFloat32) return;
      if (pass == 0)
        hist[name].observe_extremes(value.data<float>(), value.numel());
      else
        hist[name].observe(value.data<float>(), value.numel());
    };
    for (size_t first = 0; first < picked.size(); first += static_cast<size_t>(batch)) {
      const size_t count = std::min(static_cast<size_t>(batch), picked.size() - first);
      if (fixed > 0 && static_cast<int64_t>(count) != fixed) break;  // no partial fixed batch
      LEDGE_ASSIGN(Tensor x, gather(data, picked, first, count));
      // Model inputs are not node outputs: observe them here.
      if (names.count(input)) {
        if (pass == 0)
          hist[input].observe_extremes(x.data<float>(), x.numel());
        else
          hist[input].observe(x.data<float>(), x.numel());
      }
      LEDGE_TRY(session->run({{input, x}}, ro).status());
    }
  }
  std::map<std::string, Range> ranges;
  for (const auto& name : names) {
    auto it = hist.find(name);
    if (it == hist.end() || it->second.count() == 0)
      return invalid_argument("calibration never saw a float value of tensor '" + name + "'");
    ranges[name] =
        it->second.range(options.method, options.percentile, options.unsigned_activations);
  }
  return ranges;
}

}  // namespace ledge
