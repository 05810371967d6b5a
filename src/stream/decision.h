// What the model said about one frame, and the bookkeeping around it.
#pragma once

#include <cstdint>
#include <functional>

#include "core/status.h"
#include "stream/frame.h"

namespace ledge::stream {

struct Decision {
  int64_t top1 = -1;     // class index
  float confidence = 0;  // its probability
};

// The model, or anything standing in for it (tests sleep and return a fixed answer). Called
// from the deciding thread only.
using InferenceFn = std::function<Expected<Decision>(const Frame&)>;

struct DecidedFrame {
  int64_t seq = 0;
  Decision decision;
  Clock::time_point captured{}, picked{}, decided{};
  double age_ms = 0;           // captured -> picked: how stale the input was when deciding began
  double latency_ms = 0;       // picked -> decided: the inference itself
  int64_t skipped_before = 0;  // frames captured since the previous decision and never decided
  double brightness = 0;       // mean pixel value, 0..255
};

}  // namespace ledge::stream
