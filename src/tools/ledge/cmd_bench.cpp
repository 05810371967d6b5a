// ledge bench MODEL|ARTIFACT [--threads N] [--iterations K] [--warmup W] [--max-seconds T]
//                            [--shape NAME=DIMS]... [--seed S] [--json] [--no-optimize]
//                            [--profile]
//
// Measures one model the way a deployment sees it: the time from the file to a ready session,
// the first (cold) run, then K timed runs after W untimed warm-up runs, on random inputs of the
// declared types generated from a fixed seed. Memory is the process's resident set after
// loading and at its peak (VmRSS and VmHWM of /proc/self/status), plus what the session
// reports holding. The timed loop stops after K runs or T seconds, whichever comes first, so a
// slow model still finishes; the report says how many runs it timed and why it stopped.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "runtime/measure.h"
#include "runtime/session.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string model;
  int64_t threads = 1;
  int64_t iterations = 50;
  int64_t warmup = 5;
  double max_seconds = 0;  // 0: no time limit
  std::vector<std::string> shapes;
  uint64_t seed = 0;
  bool json = false;
  bool no_optimize = false;
  bool profile = false;
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// File to ready session, from an ONNX model or a .ledge artifact (told apart by content).
Expected<std::unique_ptr<Session>> load_for_bench(const std::string& path, SessionOptions options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return io_error(path + ": No such file or directory");
  LEDGE_ASSIGN(auto model, load_model(path));
  std::vector<std::string> notes;
  LEDGE_TRY(fix_dynamic_inputs(model->graph, options.shape_overrides, notes));
  auto session = Session::create(std::move(model), std::move(options));
  if (!session) return std::move(session).error().with_context(path);
  for (const auto& note : notes) std::fprintf(stderr, "ledge: note: %s\n", note.c_str());
  return session;
}

Status check_args(const BenchArgs& a) {
  if (a.threads < 1 || a.threads > 1024)
    return invalid_argument("--threads must be between 1 and 1024, got " +
                            std::to_string(a.threads));
  if (a.iterations < 1)
    return invalid_argument("--iterations must be at least 1, got " + std::to_string(a.iterations));
  if (a.warmup < 0)
    return invalid_argument("--warmup must be 0 or more, got " + std::to_string(a.warmup));
  if (!std::isfinite(a.max_seconds) || a.max_seconds < 0)
    return invalid_argument("--max-seconds must be 0 (no limit) or a positive number of seconds");
  return Status();
}

// Where the time of a run goes, node by node: after the timed runs, as many runs again
// (at most 20) with an observer that notes the clock after each node. A node's time is the
// gap since the previous node finished, so it includes the (small) cost of the hand-off.
struct NodeTime {
  std::string node, op;
  double median_ms = 0;
};

Expected<std::vector<NodeTime>> profile_nodes(const Session& session,
                                              const std::map<std::string, Tensor>& feeds,
                                              int64_t runs) {
  std::vector<const Node*> order;
  std::map<const Node*, std::vector<double>> times;
  Clock::time_point last;
  const Node* previous = nullptr;
  RunOptions options;
  options.observe_values = false;  // only the clock: no packed copies of in-place slices
  options.observer = [&](const Node& node, const std::string&, const Tensor&) {
    const auto now = Clock::now();
    if (&node != previous) {  // later outputs of the same node add nothing
      auto& v = times[&node];
      if (v.empty() && order.size() < times.size()) order.push_back(&node);
      v.push_back(std::chrono::duration<double, std::milli>(now - last).count());
      previous = &node;
    }
    last = Clock::now();
  };
  for (int64_t i = 0; i < std::min<int64_t>(runs, 20); ++i) {
    previous = nullptr;
    last = Clock::now();
    LEDGE_TRY(session.run(feeds, options).status());
  }
  std::vector<NodeTime> result;
  for (const Node* n : order) {
    auto v = times[n];
    std::sort(v.begin(), v.end());
    result.push_back(
        {n->name, (n->domain.empty() ? "" : n->domain + ".") + n->op_type, v[v.size() / 2]});
  }
  std::stable_sort(result.begin(), result.end(),
                   [](const NodeTime& a, const NodeTime& b) { return a.median_ms > b.median_ms; });
  return result;
}

// The file's stem; for the common "DIR/model.onnx" layout, the directory's name.
std::string model_name(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string stem = p.stem().string();
  const std::string dir = p.parent_path().filename().string();
  return stem == "model" && !dir.empty() && dir != "." && dir != ".." ? dir : stem;
}

nlohmann::ordered_json mb_or_null(const std::optional<double>& mb) {
  return mb ? nlohmann::ordered_json(*mb) : nlohmann::ordered_json(nullptr);
}

std::string mb_text(const std::optional<double>& mb) {
  char buf[32];
  if (!mb) return "n/a";
  std::snprintf(buf, sizeof buf, "%.1f MB", *mb);
  return buf;
}

int bench(const BenchArgs& a) {
  if (Status st = check_args(a); !st.ok()) return report(st.error());
  auto overrides = parse_shape_overrides(a.shapes);
  if (!overrides) return report(overrides.error());
  SessionOptions opts;
  opts.shape_overrides = std::move(*overrides);
  opts.threads = static_cast<int>(a.threads);
  opts.optimize = !a.no_optimize;

  const auto load_start = Clock::now();
  auto session = load_for_bench(a.model, std::move(opts));
  if (!session) return report(session.error());
  const double load_ms = ms_since(load_start);
  const auto rss_after_load = proc_status_mb("VmRSS");

  auto feeds = random_feeds(**session, a.seed);
  if (!feeds) return report(feeds.error());
  auto timings = time_runs(**session, *feeds, {a.warmup, a.iterations, a.max_seconds});
  if (!timings) return report(std::move(timings).error().with_context(a.model));
  const TimingSummary s = summarize(timings->runs_ms);
  std::vector<NodeTime> profile;
  if (a.profile) {
    auto p = profile_nodes(**session, *feeds, a.iterations);
    if (!p) return report(std::move(p).error().with_context(a.model));
    profile = std::move(*p);
  }
  const auto peak_rss = proc_status_mb("VmHWM");
  const SessionStats stats = (*session)->stats();
  const std::string name = model_name(a.model);
  const size_t timed = timings->runs_ms.size();
  const char* stopped_by = timings->stopped_by_time ? "time" : "iterations";

  if (a.json) {
    nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
    for (const auto& in : (*session)->inputs())
      inputs.push_back({{"name", in.name},
                        {"dtype", std::string(dtype_name(in.type.dtype))},
                        {"shape", *in.type.shape}});
    nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
    for (const NodeTime& t : profile)
      nodes.push_back({{"node", t.node}, {"op", t.op}, {"median_ms", t.median_ms}});
    nlohmann::ordered_json j = {{"model", name},
                                {"path", a.model},
                                {"threads", a.threads},
                                {"optimize", !a.no_optimize},
                                {"inputs", inputs},
                                {"load_ms", load_ms},
                                {"first_run_ms", timings->first_run_ms},
                                {"warmup", a.warmup},
                                {"iterations", timed},
                                {"stopped_by", stopped_by},
                                {"median_ms", s.median},
                                {"p90_ms", s.p90},
                                {"p99_ms", s.p99},
                                {"mean_ms", s.mean},
                                {"min_ms", s.min},
                                {"max_ms", s.max},
                                {"rss_after_load_mb", mb_or_null(rss_after_load)},
                                {"peak_rss_mb", mb_or_null(peak_rss)},
                                {"weights_bytes", stats.weights_bytes},
                                {"arena_bytes", stats.arena_bytes},
                                {"nodes", stats.nodes}};
    if (a.profile) j["profile"] = nodes;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model          %s (%s)\n", name.c_str(), a.model.c_str());
  for (const auto& in : (*session)->inputs())
    std::printf("input          %s: %s\n", in.name.c_str(), in.type.to_string().c_str());
  std::printf("threads        %lld, optimize %s\n", static_cast<long long>(a.threads),
              a.no_optimize ? "off" : "on");
  std::printf("load           %.2f ms (file to ready session)\n", load_ms);
  std::printf("first run      %.2f ms\n", timings->first_run_ms);
  std::printf("timed runs     %zu after %lld warm-up (stopped by %s)\n", timed,
              static_cast<long long>(a.warmup), stopped_by);
  std::printf("median         %.3f ms\n", s.median);
  std::printf("p90 / p99      %.3f / %.3f ms\n", s.p90, s.p99);
  std::printf("mean           %.3f ms (min %.3f, max %.3f)\n", s.mean, s.min, s.max);
  std::printf("RSS            %s after load, %s peak\n", mb_text(rss_after_load).c_str(),
              mb_text(peak_rss).c_str());
  std::printf("session        %zu nodes, weights %zu bytes, arena %zu bytes\n", stats.nodes,
              stats.weights_bytes, stats.arena_bytes);
  if (a.profile) {
    double total = 0;
    for (const NodeTime& t : profile) total += t.median_ms;
    std::printf("profile        median ms per node, slowest first (%zu nodes, sum %.3f ms)\n",
                profile.size(), total);
    for (size_t i = 0; i < profile.size() && i < 25; ++i)
      std::printf("  %8.3f ms %5.1f%%  %-22s %s\n", profile[i].median_ms,
                  total > 0 ? 100 * profile[i].median_ms / total : 0.0, profile[i].op.c_str(),
                  profile[i].node.c_str());
  }
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure load time, latency and memory of a model");
  cmd->add_option("model", args->model, "ONNX model or .ledge artifact")->required();
  cmd->add_option("--threads", args->threads, "worker threads (default 1)");
  cmd->add_option("--iterations", args->iterations, "timed runs (default 50)");
  cmd->add_option("--warmup", args->warmup, "untimed runs after the first one (default 5)");
  cmd->add_option("--max-seconds", args->max_seconds,
                  "stop the timed runs after this many seconds (default 0: no limit)");
  cmd->add_option("--shape", args->shapes, "NAME=DIMS (like 1x3x224x224); repeatable");
  cmd->add_option("--seed", args->seed, "seed for the random inputs (default 0)");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_flag("--no-optimize", args->no_optimize, "run the graph as written");
  cmd->add_flag("--profile", args->profile,
                "also time every node (median of up to 20 more runs), slowest first");
  cmd->callback([args, &exit_code]() { exit_code = bench(*args); });
}

}  // namespace ledge::cli
