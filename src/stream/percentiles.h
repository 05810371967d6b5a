// Latency and age percentiles by the nearest-rank method (the p99 of 10 samples is the
// largest), the same rule as the telemetry summaries (deploy/device_metrics.h).
#pragma once

#include <cstdint>
#include <vector>

namespace ledge::stream {

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
  int64_t count = 0;
};

Percentiles percentiles(std::vector<double> samples);

}  // namespace ledge::stream
