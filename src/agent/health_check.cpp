#include "agent/health_check.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "artifact/artifact.h"
#include "io/npy.h"
#include "runtime/session.h"

namespace ledge::agent {

namespace {

HealthReport failed(std::string reason) {
  HealthReport r;
  r.reason = std::move(reason);
  return r;
}

std::string format_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The largest |got - want| and whether every element is within atol + rtol * |want|.
struct Comparison {
  double max_abs = 0;
  bool within = true;
  std::string detail;
};

Comparison compare(const Tensor& got, const Tensor& want, double atol, double rtol) {
  Comparison c;
  if (got.dtype() != DType::kFloat32 || want.dtype() != DType::kFloat32) {
    c.within = false;
    c.detail = "golden outputs must be float32";
    return c;
  }
  if (got.shape() != want.shape()) {
    c.within = false;
    c.detail = "shape differs from the golden output";
    return c;
  }
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double d = std::fabs(static_cast<double>(g[i]) - w[i]);
    if (!(d <= atol + rtol * std::fabs(static_cast<double>(w[i])))) {  // NaN fails too
      if (c.within)
        c.detail = "element " + std::to_string(i) + ": " + format_double(g[i]) + " vs " +
                   format_double(w[i]) + " (tolerance " +
                   format_double(atol + rtol * std::fabs(static_cast<double>(w[i]))) + ")";
      c.within = false;
    }
    if (!(d <= c.max_abs)) c.max_abs = std::isnan(d) ? INFINITY : d;
  }
  return c;
}

}  // namespace

Expected<HealthReport> health_check(const std::string& slot_dir, const deploy::Manifest& m,
                                    const HealthOptions& options) {
  auto model = load_artifact(slot_dir + "/" + m.model);
  if (!model) return failed("model does not load: " + model.error().message());
  SessionOptions so;
  so.threads = options.threads;
  auto session = Session::create(std::move(*model), so);
  if (!session) return failed("model does not plan: " + session.error().message());
  if (m.golden.empty()) return failed("the bundle has no golden vectors");

  HealthReport report;
  std::vector<double> times_ms;
  for (size_t ci = 0; ci < m.golden.size(); ++ci) {
    const auto& gc = m.golden[ci];
    const std::string where = "case " + std::to_string(ci);
    std::map<std::string, Tensor> feeds;
    for (const auto& [name, file] : gc.inputs) {
      LEDGE_ASSIGN(Tensor t, read_npy(slot_dir + "/" + file));
      feeds.emplace(name, std::move(t));
    }
    std::vector<Tensor> outputs;
    for (int run = 0; run <= options.runs_per_case; ++run) {
      const auto start = std::chrono::steady_clock::now();
      auto out = (*session)->run(feeds);
      const auto stop = std::chrono::steady_clock::now();
      if (!out) return failed(where + ": the model fails to run: " + out.error().message());
      if (run > 0)
        times_ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
      outputs = std::move(*out);
    }
    const auto& names = (*session)->outputs();
    for (const auto& [name, file] : gc.outputs) {
      size_t k = 0;
      while (k < names.size() && names[k].name != name) ++k;
      if (k == names.size()) return failed(where + ": the model has no output '" + name + "'");
      LEDGE_ASSIGN(Tensor want, read_npy(slot_dir + "/" + file));
      const Comparison c = compare(outputs[k], want, gc.atol, gc.rtol);
      report.max_abs_error = std::max(report.max_abs_error, c.max_abs);
      if (!c.within) return failed(where + ", output '" + name + "': " + c.detail);
    }
    ++report.cases;
  }
  std::sort(times_ms.begin(), times_ms.end());
  report.median_ms = times_ms[times_ms.size() / 2];
  if (m.latency_budget_ms > 0 && report.median_ms > m.latency_budget_ms) {
    report.reason = "median " + format_double(report.median_ms) + " ms over the budget of " +
                    format_double(m.latency_budget_ms) + " ms";
    return report;
  }
  report.passed = true;
  return report;
}

}  // namespace ledge::agent
