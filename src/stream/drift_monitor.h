// Drift alarms: the first seconds of a stream are the baseline; every later window is
// compared with it, and an alarm is raised when
//   - the input rate moved by more than rate_change (relative; a camera slowing down in the
//     dark, a USB bus sharing bandwidth),
//   - the mean brightness moved by more than brightness_change (relative to the baseline,
//     at least 8 grey levels' worth: lighting changed, a lens is covered),
//   - the class mix moved by more than class_mix_change in total variation distance (half
//     the sum of absolute differences between the two top-1 distributions).
// Each alarm is raised once when its measure crosses the threshold and again only after it
// has come back within it.
//
// The input rate is measured from the frames decided on: their sequence numbers and capture
// times say how many frames the source produced between them, whatever the consumer skipped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "stream/decision.h"

namespace ledge::stream {

struct DriftOptions {
  double baseline_s = 5;  // seconds from the first decision
  double window_s = 2;
  double rate_change = 0.15;
  double brightness_change = 0.2;
  double class_mix_change = 0.3;
};

struct DriftAlarm {
  std::string measure;               // "input_fps", "brightness" or "class_mix"
  double baseline = 0, current = 0;  // class_mix: 0 and the distance
  double at_s = 0;                   // seconds into the stream
};

// Statistics of a run of decided frames.
struct WindowStats {
  double input_fps = 0;  // 0 when the window holds fewer than two frames
  double brightness = 0;
  std::map<int64_t, double> class_share;  // top-1 class -> share of the window's decisions
  int64_t decisions = 0;
};

class DriftMonitor {
 public:
  explicit DriftMonitor(DriftOptions options) : options_(options) {}
  // Adds a decision; returns the alarms it raised (usually none).
  std::vector<DriftAlarm> observe(const DecidedFrame& f);
  bool has_baseline() const { return has_baseline_; }
  const WindowStats& baseline() const { return baseline_; }

 private:
  void check(const WindowStats& w, double at_s, std::vector<DriftAlarm>& out);
  void raise(const std::string& measure, bool beyond, double base, double current, double at_s,
             std::vector<DriftAlarm>& out);

  DriftOptions options_;
  bool started_ = false, has_baseline_ = false;
  Clock::time_point start_{}, window_start_{};
  std::vector<DecidedFrame> window_;
  WindowStats baseline_;
  std::map<std::string, bool> active_;
};

WindowStats window_stats(const std::vector<DecidedFrame>& frames);

}  // namespace ledge::stream
