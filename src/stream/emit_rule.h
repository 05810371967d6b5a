// When a decision becomes an event: most frames say nothing new, and only what a rule picks
// out leaves the device.
//
//   class=3,5:0.8      top-1 is class 3 or 5 with probability >= 0.8 (":0.8" optional)
//   change             the top-1 class differs from the established one
//   ...,debounce=N     the condition must hold for N decisions in a row (default 1)
//
// A class rule fires once when its condition starts to hold (after debouncing) and again
// only after it has stopped holding. A change rule fires when a new top-1 class has held
// for N decisions; the first class seen is established without an event.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "stream/decision.h"

namespace ledge::stream {

struct EmittedEvent {
  std::string rule;  // "class" or "change"
  int64_t seq = 0;   // the frame that completed the debounce
  Decision decision;
  int64_t previous = -1;  // change: the class before
};

class EmitRule {
 public:
  static Expected<EmitRule> parse(const std::string& text);
  // Feeds one decision; returns the event it completes, if any.
  std::optional<EmittedEvent> observe(int64_t seq, const Decision& d);
  std::string describe() const;

 private:
  enum class Kind { kClass, kChange } kind_ = Kind::kChange;
  std::set<int64_t> classes_;
  float min_confidence_ = 0;
  int64_t debounce_ = 1;
  // class rule
  int64_t streak_ = 0;
  bool firing_ = false;
  // change rule
  int64_t state_ = -1, candidate_ = -1;
};

}  // namespace ledge::stream
