// Small, real device metrics for telemetry events: the CPU temperature and a summary of
// inference latencies.
//
//   auto t = cpu_temperature_celsius();              // std::nullopt where the board has none
//   LEDGE_TRY(queue.record(device_metrics_event()));  // {"cpu_temp_c": 51.3} or {}
//
//   InferenceSummary s = summarize_inferences(latencies_ms, window_seconds);
//   LEDGE_TRY(queue.record(inference_summary_event(s, "mobilenet_v2")));
//
// Pure functions over the file system and their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deploy/event_sink.h"

namespace ledge::deploy {

// The hottest of <thermal_root>/thermal_zone*/temp (millidegrees Celsius in the file), or
// nullopt when there is no readable zone (containers, some boards): absent, not an error.
std::optional<double> cpu_temperature_celsius(
    const std::string& thermal_root = "/sys/class/thermal");

// A "device_metrics" event; a field is left out when its value is unknown.
Event device_metrics_event(const std::string& thermal_root = "/sys/class/thermal");

struct InferenceSummary {
  int64_t count = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double mean_ms = 0;
  double throughput_per_second = 0;  // count / window_seconds
  double window_seconds = 0;
};

// Latency percentiles by the nearest-rank method (p99 of 10 samples is the largest one).
InferenceSummary summarize_inferences(std::vector<double> latencies_ms, double window_seconds);

// An "inference_summary" event: {"model":..., "count":..., "p50_ms":..., "p99_ms":..., ...}.
Event inference_summary_event(const InferenceSummary& summary, const std::string& model);

}  // namespace ledge::deploy
