// Timing and memory of a session's runs, measured the same way by `ledge bench` and by the
// device runner (`ledge-run --bench`): the first (cold) run, then W untimed warm-up runs, then
// K timed runs or T seconds, whichever ends first; medians and nearest-rank percentiles; the
// process's resident memory from /proc/self/status. The runner's numbers are what a device
// pays (no CLI libraries mapped); `ledge bench` also takes ONNX files and profiles nodes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/session.h"

namespace ledge {

// Gives dynamic input dimensions the user did not fix a value: a leading (batch) dimension
// becomes 1, with a note in `notes` for the caller to print once the session exists; any other
// unknown dimension, or an unknown rank, is an error (guessing an image size would measure a
// model nobody runs).
Status fix_dynamic_inputs(const Graph& graph, std::map<std::string, Shape>& overrides,
                          std::vector<std::string>& notes);

struct TimingPlan {
  int64_t warmup = 5;
  int64_t iterations = 50;
  double max_seconds = 0;  // 0: no time limit
};

struct RunTimings {
  double first_run_ms = 0;
  std::vector<double> runs_ms;  // the timed runs, in order
  bool stopped_by_time = false;
};

struct TimingSummary {
  double median = 0, p90 = 0, p99 = 0, mean = 0, min = 0, max = 0;
};

// Runs the session as the plan says; the first failing run ends it with that error.
Expected<RunTimings> time_runs(const Session& session, const std::map<std::string, Tensor>& feeds,
                               const TimingPlan& plan);

// Median, nearest-rank p90/p99 (the rule of bench/compare_ort/ort_bench.js), mean, extremes.
TimingSummary summarize(std::vector<double> runs_ms);

// A kB line of /proc/self/status ("VmRSS", "VmHWM") in MiB; nullopt where the file or the line
// is missing (not Linux), so a report can say n/a instead of a made-up number.
std::optional<double> proc_status_mb(const std::string& key);

// Deterministic pseudo-random tensor: floats uniform in [-1, 1], integers 0..9 (safe as
// indices and sizes), booleans either.
Expected<Tensor> random_tensor(DType dtype, const Shape& shape, uint64_t seed);

// One random tensor per session input (seeds seed, seed + 1, ...); inputs must be static.
Expected<std::map<std::string, Tensor>> random_feeds(const Session& session, uint64_t seed);

}  // namespace ledge
