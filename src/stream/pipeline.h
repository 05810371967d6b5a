// The latest-frame pipeline: a capture thread reads the source into a LatestSlot
// (stream/latest_slot.h), the calling thread takes the newest frame, runs the inference
// function on it and reports the decision. A slow model therefore decides on fresh frames
// and skips the ones it had no time for, counting them, instead of working through a growing
// backlog.
//
//   LEDGE_ASSIGN(StreamReport r, run_pipeline(source, infer, options));
//   // r.produced == r.decided + r.skipped + r.pending
//
// Health: input and decision rates, skipped frames, frame age at decision (capture to the
// moment the consumer picks the frame) and inference latency percentiles, the CPU
// temperature when the board exposes one, drift alarms (stream/drift_monitor.h), and
// periodic window summaries for soak runs.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "stream/decision.h"
#include "stream/drift_monitor.h"
#include "stream/frame_source.h"
#include "stream/percentiles.h"

namespace ledge::stream {

// One summary period of a soak run.
struct WindowSummary {
  double at_s = 0;  // end of the window, seconds into the stream
  double input_fps = 0, output_fps = 0;
  int64_t produced = 0, decided = 0, skipped = 0;  // in this window
  Percentiles age_ms, latency_ms;
  double brightness = 0;
  std::optional<double> cpu_temp_c;
};

struct PipelineOptions {
  double duration_s = 0;       // stop after this long; 0: when the source ends
  int64_t max_decisions = 0;   // stop after this many decisions; 0: no limit
  double summary_every_s = 0;  // 0: no window summaries
  bool drift = true;
  DriftOptions drift_options;
  std::function<void(const DecidedFrame&)> on_decision;
  std::function<void(const WindowSummary&)> on_summary;
  std::function<void(const DriftAlarm&)> on_drift;
  const std::atomic<bool>* stop = nullptr;  // set from elsewhere (a signal) to end the run
  // Where the CPU temperature is read (deploy/device_metrics.h); empty: not read.
  std::string thermal_root = "/sys/class/thermal";
};

struct StreamReport {
  std::string source;
  double elapsed_s = 0;
  int64_t produced = 0, decided = 0, skipped = 0, pending = 0;
  double input_fps = 0, output_fps = 0;
  Percentiles age_ms;                // capture -> picked
  Percentiles latency_ms;            // inference
  Percentiles frame_to_decision_ms;  // capture -> decided
  double mean_brightness = 0;
  std::optional<double> cpu_temp_c;
  std::optional<WindowStats> baseline;
  std::vector<DriftAlarm> drift_alarms;
  std::vector<WindowSummary> summaries;
};

// Runs until the source ends, the duration or decision count is reached, or *stop is set.
// A source or inference error ends the run and is returned (the capture thread is joined
// first in every case).
Expected<StreamReport> run_pipeline(FrameSource& source, const InferenceFn& infer,
                                    const PipelineOptions& options);

// Mean pixel value of an image, 0..255.
double mean_brightness(const Image& img);

}  // namespace ledge::stream
