#include "stream/drift_monitor.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ledge::stream {

WindowStats window_stats(const std::vector<DecidedFrame>& frames) {
  WindowStats w;
  w.decisions = static_cast<int64_t>(frames.size());
  if (frames.empty()) return w;
  double brightness = 0;
  for (const DecidedFrame& f : frames) {
    brightness += f.brightness;
    w.class_share[f.decision.top1] += 1.0 / static_cast<double>(frames.size());
  }
  w.brightness = brightness / static_cast<double>(frames.size());
  const DecidedFrame &first = frames.front(), &last = frames.back();
  const double span = seconds_between(first.captured, last.captured);
  if (frames.size() >= 2 && span > 0)
    w.input_fps = static_cast<double>(last.seq - first.seq) / span;
  return w;
}

std::vector<DriftAlarm> DriftMonitor::observe(const DecidedFrame& f) {
  std::vector<DriftAlarm> out;
  if (!started_) {
    started_ = true;
    start_ = window_start_ = f.captured;
  }
  window_.push_back(f);
  const double span = seconds_between(window_start_, f.captured);
  if (!has_baseline_) {
    if (span < options_.baseline_s) return out;
    baseline_ = window_stats(window_);
    has_baseline_ = true;
  } else {
    if (span < options_.window_s) return out;
    check(window_stats(window_), seconds_between(start_, f.captured), out);
  }
  // The next window starts with this frame, so no interval between frames is lost.
  window_.assign(1, f);
  window_start_ = f.captured;
  return out;
}

void DriftMonitor::check(const WindowStats& w, double at_s, std::vector<DriftAlarm>& out) {
  if (baseline_.input_fps > 0 && w.input_fps > 0)
    raise("input_fps",
          std::fabs(w.input_fps - baseline_.input_fps) > options_.rate_change * baseline_.input_fps,
          baseline_.input_fps, w.input_fps, at_s, out);
  const double floor = std::max(baseline_.brightness, 40.0);  // 0.2 of it: 8 grey levels
  raise("brightness",
        std::fabs(w.brightness - baseline_.brightness) > options_.brightness_change * floor,
        baseline_.brightness, w.brightness, at_s, out);
  std::set<int64_t> classes;
  for (const auto& [c, share] : baseline_.class_share) classes.insert(c);
  for (const auto& [c, share] : w.class_share) classes.insert(c);
  double distance = 0;
  for (int64_t c : classes) {
    const auto share = [c](const WindowStats& s) {
      auto it = s.class_share.find(c);
      return it == s.class_share.end() ? 0.0 : it->second;
    };
    distance += std::fabs(share(w) - share(baseline_));
  }
  distance /= 2;
  raise("class_mix", distance > options_.class_mix_change, 0, distance, at_s, out);
}

void DriftMonitor::raise(const std::string& measure, bool beyond, double base, double current,
                         double at_s, std::vector<DriftAlarm>& out) {
  bool& active = active_[measure];
  if (beyond && !active) out.push_back(DriftAlarm{measure, base, current, at_s});
  active = beyond;
}

}  // namespace ledge::stream
