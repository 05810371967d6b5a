// ledge-run: the device runner. Loads a .ledge artifact, runs it on .npy inputs, writes .npy
// outputs. It links only the artifact loader, the runtime and .npy I/O (no protobuf, no ONNX,
// no CLI library), so that it stays small and can be linked statically.
//
//   ledge-run model.ledge --input x=x.npy [--output-dir out] [--iterations 100]
//   ledge-run model.ledge --bench [--threads 2] [--iterations 50] [--warmup 5]
//
// --bench measures what a device pays, as `ledge bench --json` does (runtime/measure.h):
// load, first run, timed runs, resident memory of this small process. Inputs not given are
// random (seed 0, as ledge bench).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "artifact/artifact.h"
#include "io/npy.h"
#include "runtime/measure.h"
#include "runtime/session.h"

namespace {

using namespace ledge;

constexpr const char* kUsage =
    "usage: ledge-run MODEL.ledge [options]\n"
    "  --input NAME=FILE.npy   an input tensor; repeat for each input\n"
    "  --output-dir DIR        write each output to DIR/<name>.npy\n"
    "  --shape NAME=DIMS       fix a dynamic input shape (like 1x3x224x224)\n"
    "  --iterations N          run N more times and print the time per run\n"
    "  --threads N             worker threads (default 1)\n"
    "  --no-verify             skip the checksum of the file (faster load)\n"
    "  --bench                 time the runs instead: one JSON report (load_ms, median_ms,\n"
    "                          p90_ms, p99_ms, peak_rss_mb, ...); random inputs where none given\n"
    "  --warmup N              with --bench: untimed runs after the first (default 5)\n"
    "  --max-seconds T         with --bench: stop the timed runs after T seconds\n";

struct Args {
  std::string model;
  std::vector<std::pair<std::string, std::string>> inputs;
  std::map<std::string, Shape> shapes;
  std::string output_dir;
  long iterations = -1;  // -1: not given (no timed runs; 50 with --bench)
  long warmup = 5;
  double max_seconds = 0;
  int threads = 1;
  bool verify = true;
  bool bench = false;
};

// Exit codes as in the ledge CLI: 2 invalid argument, 3 invalid model, 4 unsupported,
// 5 I/O, 6 resource limit, 70 internal error.
int report(const Error& e) {
  std::string msg = e.message();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  std::fprintf(stderr, "ledge-run: %s: %s\n", error_code_name(e.code()), msg.c_str());
  return exit_code_for(e.code());
}

Expected<std::pair<std::string, std::string>> split_assignment(const std::string& flag,
                                                               const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return invalid_argument(flag + " expects NAME=VALUE, got '" + text + "'");
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

Expected<long> parse_count(const std::string& flag, const std::string& text, long min) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min || v > 1000000000)
    return invalid_argument(flag + " expects a whole number of at least " + std::to_string(min) +
                            ", got '" + text + "'");
  return v;
}

Expected<Args> parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool takes_value = flag == "--input" || flag == "--output-dir" || flag == "--shape" ||
                             flag == "--iterations" || flag == "--threads" || flag == "--warmup" ||
                             flag == "--max-seconds";
    if (takes_value && i + 1 >= argc) return invalid_argument(flag + " needs a value");
    const std::string value = takes_value ? argv[++i] : "";
    if (flag == "--input") {
      LEDGE_ASSIGN(auto kv, split_assignment(flag, value));
      a.inputs.push_back(std::move(kv));
    } else if (flag == "--shape") {
      LEDGE_ASSIGN(auto kv, split_assignment(flag, value));
      auto shape = parse_shape(kv.second);
      if (!shape) return std::move(shape).error().with_context("--shape " + value);
      a.shapes[kv.first] = std::move(*shape);
    } else if (flag == "--output-dir") {
      a.output_dir = value;
    } else if (flag == "--iterations") {
      LEDGE_ASSIGN(a.iterations, parse_count(flag, value, 0));
    } else if (flag == "--threads") {
      LEDGE_ASSIGN(long t, parse_count(flag, value, 1));
      a.threads = static_cast<int>(std::min(t, 1024L));
    } else if (flag == "--warmup") {
      LEDGE_ASSIGN(a.warmup, parse_count(flag, value, 0));
    } else if (flag == "--max-seconds") {
      char* end = nullptr;
      a.max_seconds = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(a.max_seconds >= 0) || a.max_seconds > 1e6)
        return invalid_argument("--max-seconds expects a number of seconds, got '" + value + "'");
    } else if (flag == "--bench") {
      a.bench = true;
    } else if (flag == "--no-verify") {
      a.verify = false;
    } else if (!flag.empty() && flag[0] == '-') {
      return invalid_argument("unknown option " + flag);
    } else if (a.model.empty()) {
      a.model = flag;
    } else {
      return invalid_argument("more than one model given ('" + a.model + "', '" + flag + "')");
    }
  }
  if (a.model.empty()) return invalid_argument("no model given");
  if (a.bench && !a.output_dir.empty())
    return invalid_argument("--bench writes no outputs; leave out --output-dir");
  if (a.bench && a.iterations == 0)
    return invalid_argument("--bench needs --iterations of 1 or more");
  return a;
}

// A file name for a tensor name: characters outside [A-Za-z0-9_.-] become '_' (as ledge run).
std::string file_name_for(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s + ".npy";
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// --bench: the JSON keys of `ledge bench --json` that a device runner can know.
int bench(const Args& a, const Session& session, std::map<std::string, Tensor> feeds,
          double load_ms, std::optional<double> rss_after_load) {
  auto random = random_feeds(session, 0);
  if (!random) return report(random.error());
  for (auto& [name, t] : *random) feeds.try_emplace(name, std::move(t));
  const TimingPlan plan{a.warmup, a.iterations < 0 ? 50 : a.iterations, a.max_seconds};
  auto timings = time_runs(session, feeds, plan);
  if (!timings) return report(std::move(timings).error().with_context(a.model));
  const TimingSummary s = summarize(timings->runs_ms);
  const auto peak_rss = proc_status_mb("VmHWM");
  const SessionStats stats = session.stats();
  auto mb = [](const std::optional<double>& v) {
    return v ? std::to_string(*v) : std::string("null");
  };
  std::printf(
      "{\"runner\": \"ledge-run\", \"threads\": %d, \"load_ms\": %.4f, \"first_run_ms\": %.4f, "
      "\"warmup\": %ld, \"iterations\": %zu, \"stopped_by\": \"%s\", \"median_ms\": %.4f, "
      "\"p90_ms\": %.4f, \"p99_ms\": %.4f, \"mean_ms\": %.4f, \"min_ms\": %.4f, "
      "\"max_ms\": %.4f, \"rss_after_load_mb\": %s, \"peak_rss_mb\": %s, "
      "\"weights_bytes\": %zu, \"arena_bytes\": %zu, \"nodes\": %zu}\n",
      a.threads, load_ms, timings->first_run_ms, a.warmup, timings->runs_ms.size(),
      timings->stopped_by_time ? "time" : "iterations", s.median, s.p90, s.p99, s.mean, s.min,
      s.max, mb(rss_after_load).c_str(), mb(peak_rss).c_str(), stats.weights_bytes,
      stats.arena_bytes, stats.nodes);
  return 0;
}

int run(const Args& a) {
  const auto load_start = std::chrono::steady_clock::now();
  LoadOptions load_options;
  load_options.verify_checksum = a.verify;
  auto model = load_artifact(a.model, load_options);
  if (!model) return report(model.error());
  SessionOptions options;
  options.shape_overrides = a.shapes;
  options.threads = a.threads;
  std::vector<std::string> notes;  // --bench: a dynamic batch dimension becomes 1
  if (a.bench) {
    Status st = fix_dynamic_inputs((*model)->graph, options.shape_overrides, notes);
    if (!st.ok()) return report(st.error());
  }
  // Handed over, so the session frees the weights its kernels packed and gives their file
  // pages back: kept here too, every weight would stay resident twice.
  auto session = Session::create(std::move(*model), options);
  if (!session) return report(std::move(session).error().with_context(a.model));
  for (const auto& note : notes) std::fprintf(stderr, "ledge-run: note: %s\n", note.c_str());
  const double load_ms = ms_since(load_start);
  const std::optional<double> rss_after_load = proc_status_mb("VmRSS");

  std::map<std::string, Tensor> feeds;
  for (const auto& [name, file] : a.inputs) {
    auto t = read_npy(file);
    if (!t) return report(t.error());
    feeds[name] = std::move(*t);
  }
  if (a.bench) return bench(a, **session, std::move(feeds), load_ms, rss_after_load);
  for (const auto& in : (*session)->inputs())
    if (!feeds.count(in.name))
      return report(invalid_argument("input '" + in.name + "' (" + in.type.to_string() +
                                     ") was not given: add --input " + in.name + "=FILE.npy"));

  const auto first_start = std::chrono::steady_clock::now();
  auto outputs = (*session)->run(feeds);
  if (!outputs) return report(std::move(outputs).error().with_context(a.model));
  const double first_ms = ms_since(first_start);

  if (!a.output_dir.empty() && ::mkdir(a.output_dir.c_str(), 0777) != 0 && errno != EEXIST)
    return report(io_error(a.output_dir + ": " + std::strerror(errno)));
  const auto& infos = (*session)->outputs();
  for (size_t i = 0; i < outputs->size(); ++i) {
    const Tensor& t = (*outputs)[i];
    std::string file;
    if (!a.output_dir.empty()) {
      file = a.output_dir + "/" + file_name_for(infos[i].name);
      Status st = write_npy(file, t);
      if (!st.ok()) return report(st.error());
    }
    std::printf("%s: %s[%s]%s%s\n", infos[i].name.c_str(),
                std::string(dtype_name(t.dtype())).c_str(), shape_to_string(t.shape()).c_str(),
                file.empty() ? "" : " -> ", file.c_str());
  }

  if (a.iterations > 0) {  // -1 (not given) and 0: none
    double total = 0, best = 0;
    for (long i = 0; i < a.iterations; ++i) {
      const auto start = std::chrono::steady_clock::now();
      auto again = (*session)->run(feeds);
      const double ms = ms_since(start);
      if (!again) return report(std::move(again).error().with_context(a.model));
      total += ms;
      best = i == 0 ? ms : std::min(best, ms);
    }
    std::printf("time: load %.3f ms, first run %.3f ms, %ld runs: mean %.3f ms, min %.3f ms\n",
                load_ms, first_ms, a.iterations, total / static_cast<double>(a.iterations), best);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  auto args = parse_args(argc, argv);
  if (!args) return report(Error(args.error().code(), args.error().message() + " (see --help)"));
  return run(*args);
}
