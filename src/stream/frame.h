// One captured picture on its way through the stream pipeline (stream/pipeline.h).
//
// Every frame carries its sequence number (0, 1, 2, ... in capture order, per source) and its
// capture time on the steady clock, so the consumer can tell how many frames it skipped and
// how old the frame it decides on is.
#pragma once

#include <chrono>
#include <cstdint>

#include "data/image_decode.h"

namespace ledge::stream {

using Clock = std::chrono::steady_clock;

struct Frame {
  Image image;
  int64_t seq = 0;
  Clock::time_point captured{};
};

// Seconds between two steady-clock points, as a double.
inline double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace ledge::stream
