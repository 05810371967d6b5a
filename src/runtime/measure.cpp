#include "runtime/measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

namespace ledge {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(const std::vector<double>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * n));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

// Gives dynamic input dimensions the user did not fix a value: a leading (batch) dimension
// becomes 1 with a note; any other unknown dimension, or an unknown rank, is an error, since
// guessing an image size would measure a model nobody runs.
// The notes go to `notes`, printed once the session exists (an error after them would leave
// more than the one line an error should be).
Status fix_dynamic_inputs(const Graph& graph, std::map<std::string, Shape>& overrides,
                          std::vector<std::string>& notes) {
  for (const auto& in : graph.inputs) {
    if (graph.initializers.count(in.name) || overrides.count(in.name)) continue;
    if (!in.type.shape)
      return invalid_argument("input '" + in.name +
                              "' has an unknown rank; give its shape with --shape " + in.name +
                              "=DIMS");
    Shape shape = *in.type.shape;
    if (in.type.is_static()) continue;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] >= 0) continue;
      if (i != 0)
        return invalid_argument("input '" + in.name + "' has a dynamic dimension " +
                                std::to_string(i) + " (" + in.type.to_string() +
                                "); fix it with --shape " + in.name + "=DIMS");
      shape[i] = 1;
    }
    notes.push_back("input '" + in.name + "' has a dynamic batch dimension; using " +
                    shape_to_string(shape) + " (set --shape)");
    overrides[in.name] = std::move(shape);
  }
  return Status();
}

Expected<RunTimings> time_runs(const Session& session, const std::map<std::string, Tensor>& feeds,
                               const TimingPlan& plan) {
  RunTimings t;
  auto start = Clock::now();
  LEDGE_TRY(session.run(feeds).status());
  t.first_run_ms = ms_since(start);
  for (int64_t i = 0; i < plan.warmup; ++i) LEDGE_TRY(session.run(feeds).status());
  const auto loop_start = Clock::now();
  for (int64_t i = 0; i < plan.iterations; ++i) {
    if (plan.max_seconds > 0 && i > 0 && ms_since(loop_start) >= plan.max_seconds * 1000) {
      t.stopped_by_time = true;
      break;
    }
    start = Clock::now();
    LEDGE_TRY(session.run(feeds).status());
    t.runs_ms.push_back(ms_since(start));
  }
  return t;
}

TimingSummary summarize(std::vector<double> v) {
  TimingSummary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.p90 = percentile(v, 90);
  s.p99 = percentile(v, 99);
  s.min = v.front();
  s.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(n);
  return s;
}

std::optional<double> proc_status_mb(const std::string& key) {
  // C stdio, not std::ifstream: iostreams pull libstdc++'s locale machinery (0.3 MB) into
  // the static device runner.
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return std::nullopt;
  std::optional<double> mb;
  char line[256];
  const std::string prefix = key + ":";
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, prefix.c_str(), prefix.size()) != 0) continue;
    char* end = nullptr;
    const double kb = std::strtod(line + prefix.size(), &end);
    if (end != line + prefix.size()) mb = kb / 1024.0;
    break;
  }
  std::fclose(f);
  return mb;
}

Expected<Tensor> random_tensor(DType dtype, const Shape& shape, uint64_t seed) {
  LEDGE_ASSIGN(Tensor t, Tensor::make(dtype, shape));
  std::mt19937_64 rng(seed);
  Status st = dispatch(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        p[i] = (rng() & 1) != 0;
      } else if constexpr (is_floating_v<T>) {
        p[i] = static_cast<T>(std::uniform_real_distribution<float>(-1.f, 1.f)(rng));
      } else {
        p[i] = static_cast<T>(rng() % 10);
      }
    }
  });
  LEDGE_TRY(st);
  return t;
}

Expected<std::map<std::string, Tensor>> random_feeds(const Session& session, uint64_t seed) {
  std::map<std::string, Tensor> feeds;
  for (const auto& in : session.inputs()) {
    if (in.type.dtype == DType::kUndefined)
      return invalid_model("input '" + in.name + "' declares no element type");
    if (!in.type.is_static())
      return invalid_argument("input '" + in.name + "' is " + in.type.to_string() +
                              " after overrides; fix its shape with --shape " + in.name + "=DIMS");
    LEDGE_ASSIGN(feeds[in.name], random_tensor(in.type.dtype, *in.type.shape, seed++));
  }
  return feeds;
}

}  // namespace ledge
