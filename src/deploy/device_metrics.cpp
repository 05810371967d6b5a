#include "deploy/device_metrics.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace ledge::deploy {

std::optional<double> cpu_temperature_celsius(const std::string& thermal_root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::optional<double> hottest;
  for (fs::directory_iterator it(thermal_root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind("thermal_zone", 0) != 0) continue;
    std::ifstream in(it->path() / "temp");
    long long millidegrees = 0;
    if (!(in >> millidegrees)) continue;  // unreadable or a sensor that reports an error
    const double celsius = static_cast<double>(millidegrees) / 1000.0;
    if (celsius < -100 || celsius > 250) continue;  // nonsense some drivers report when off
    hottest = hottest ? std::max(*hottest, celsius) : celsius;
  }
  return hottest;
}

Event device_metrics_event(const std::string& thermal_root) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (auto t = cpu_temperature_celsius(thermal_root)) j["cpu_temp_c"] = std::round(*t * 10) / 10;
  return {"device_metrics", j.dump()};
}

InferenceSummary summarize_inferences(std::vector<double> latencies_ms, double window_seconds) {
  InferenceSummary s;
  s.count = static_cast<int64_t>(latencies_ms.size());
  s.window_seconds = window_seconds;
  if (window_seconds > 0) s.throughput_per_second = static_cast<double>(s.count) / window_seconds;
  if (latencies_ms.empty()) return s;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto rank = [&](double p) {
    const auto n = static_cast<double>(latencies_ms.size());
    const auto k = static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * n)));
    return latencies_ms[k - 1];
  };
  s.p50_ms = rank(50);
  s.p99_ms = rank(99);
  double sum = 0;
  for (double v : latencies_ms) sum += v;
  s.mean_ms = sum / static_cast<double>(latencies_ms.size());
  return s;
}

Event inference_summary_event(const InferenceSummary& s, const std::string& model) {
  nlohmann::ordered_json j;
  j["model"] = model;
  j["count"] = s.count;
  j["p50_ms"] = s.p50_ms;
  j["p99_ms"] = s.p99_ms;
  j["mean_ms"] = s.mean_ms;
  j["throughput_per_s"] = s.throughput_per_second;
  j["window_s"] = s.window_seconds;
  return {"inference_summary", j.dump()};
}

}  // namespace ledge::deploy
