#include "stream/report_json.h"

#include <cmath>

namespace ledge::stream {

namespace {

// Milliseconds and rates to three decimals: the clock is not more precise than that.
double rounded(double v) { return std::round(v * 1000) / 1000; }

nlohmann::ordered_json percentiles_json(const Percentiles& p) {
  nlohmann::ordered_json j;
  j["p50"] = rounded(p.p50);
  j["p99"] = rounded(p.p99);
  j["max"] = rounded(p.max);
  return j;
}

nlohmann::ordered_json temperature_json(const std::optional<double>& t) {
  return t ? nlohmann::ordered_json(rounded(*t)) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json report_json(const StreamReport& r) {
  nlohmann::ordered_json j;
  j["source"] = r.source;
  j["elapsed_s"] = rounded(r.elapsed_s);
  j["produced"] = r.produced;
  j["decided"] = r.decided;
  j["skipped"] = r.skipped;
  j["pending"] = r.pending;
  j["input_fps"] = rounded(r.input_fps);
  j["output_fps"] = rounded(r.output_fps);
  j["frame_age_ms"] = percentiles_json(r.age_ms);
  j["inference_ms"] = percentiles_json(r.latency_ms);
  j["frame_to_decision_ms"] = percentiles_json(r.frame_to_decision_ms);
  j["mean_brightness"] = rounded(r.mean_brightness);
  j["cpu_temp_c"] = temperature_json(r.cpu_temp_c);
  if (r.baseline) {
    nlohmann::ordered_json b;
    b["input_fps"] = rounded(r.baseline->input_fps);
    b["brightness"] = rounded(r.baseline->brightness);
    nlohmann::ordered_json mix = nlohmann::ordered_json::object();
    for (const auto& [c, share] : r.baseline->class_share) mix[std::to_string(c)] = rounded(share);
    b["class_mix"] = mix;
    j["drift_baseline"] = b;
  } else {
    j["drift_baseline"] = nullptr;
  }
  j["drift_alarms"] = nlohmann::ordered_json::array();
  for (const DriftAlarm& a : r.drift_alarms) j["drift_alarms"].push_back(alarm_json(a));
  j["summaries"] = nlohmann::ordered_json::array();
  for (const WindowSummary& s : r.summaries) j["summaries"].push_back(summary_json(s));
  return j;
}

nlohmann::ordered_json summary_json(const WindowSummary& s) {
  nlohmann::ordered_json j;
  j["at_s"] = rounded(s.at_s);
  j["input_fps"] = rounded(s.input_fps);
  j["output_fps"] = rounded(s.output_fps);
  j["produced"] = s.produced;
  j["decided"] = s.decided;
  j["skipped"] = s.skipped;
  j["frame_age_ms"] = percentiles_json(s.age_ms);
  j["inference_ms"] = percentiles_json(s.latency_ms);
  j["mean_brightness"] = rounded(s.brightness);
  j["cpu_temp_c"] = temperature_json(s.cpu_temp_c);
  return j;
}

nlohmann::ordered_json alarm_json(const DriftAlarm& a) {
  nlohmann::ordered_json j;
  j["measure"] = a.measure;
  j["baseline"] = rounded(a.baseline);
  j["current"] = rounded(a.current);
  j["at_s"] = rounded(a.at_s);
  return j;
}

nlohmann::ordered_json event_json(const EmittedEvent& e, double age_ms, double at_s) {
  nlohmann::ordered_json j;
  j["event"] = e.rule;
  j["seq"] = e.seq;
  j["class"] = e.decision.top1;
  j["confidence"] = rounded(e.decision.confidence);
  if (e.rule == "change") j["previous"] = e.previous;
  j["frame_age_ms"] = rounded(age_ms);
  j["at_s"] = rounded(at_s);
  return j;
}

}  // namespace ledge::stream
