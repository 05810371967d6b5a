#include "stream/percentiles.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace ledge::stream {

Percentiles percentiles(std::vector<double> samples) {
  Percentiles p;
  p.count = static_cast<int64_t>(samples.size());
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  const auto rank = [&](double q) {
    const auto r = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return samples[std::clamp<size_t>(r, 1, samples.size()) - 1];
  };
  p.p50 = rank(0.50);
  p.p99 = rank(0.99);
  p.max = samples.back();
  return p;
}

}  // namespace ledge::stream
