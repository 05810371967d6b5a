// ledge stream --model M --source SRC [--preprocess SPEC] [--emit RULE]
//              [--to stdout|agent|mqtt://HOST:PORT --state-dir DIR] [--duration S] [--json]
//
// Runs a model on a live source with the latest-frame pipeline (src/stream/pipeline.h):
// decisions are made on the newest frame, and only those a rule picks out become events
// (src/stream/emit_rule.h), as JSON lines on stdout, into the device agent's durable queue
// (--to agent: the running `ledge agent` with that --state-dir sends them), or through the
// durable queue to an MQTT broker. Frames themselves never leave. At the end a health report:
// rates, skipped frames, frame age and latency percentiles, drift alarms (--json: as JSON).
// docs/stream.md describes sources, rules and fields.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/slot_store.h"
#include "core/file.h"
#include "deploy/broker_url.h"
#include "deploy/event_queue.h"
#include "deploy/manifest_json.h"
#include "deploy/mqtt_uplink.h"
#include "runtime/session.h"
#include "stream/emit_rule.h"
#include "stream/model_inference.h"
#include "stream/pipeline.h"
#include "stream/report_json.h"
#include "stream/source_spec.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

struct StreamArgs {
  std::string model, source, preprocess, emit, to = "stdout", state_dir, device_id;
  double duration = 0, summary_every = -1, drift_baseline = 5, drift_window = 2;
  int64_t max_decisions = 0;
  int threads = 1;
  bool json = false;
};

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop.store(true); }

// Where events go: JSON lines on stdout, or the durable queue that the MQTT uplink drains.
class EventOutput {
 public:
  static Expected<std::unique_ptr<EventOutput>> open(const StreamArgs& a) {
    std::unique_ptr<EventOutput> out(new EventOutput());
    if (a.to == "stdout") return out;
    const bool to_agent = a.to == "agent";
    deploy::BrokerAddress broker;
    if (!to_agent) {
      LEDGE_ASSIGN(broker, deploy::parse_broker_url(a.to));
    }
    if (a.state_dir.empty())
      return invalid_argument("--to " + a.to + " needs --state-dir (the durable event queue)");
    std::error_code ec;
    std::filesystem::create_directories(a.state_dir, ec);
    if (!std::filesystem::is_directory(a.state_dir))
      return io_error("state dir " + a.state_dir + ": not a directory");
    deploy::QueueHooks hooks;
    hooks.log = [](const std::string& line) { std::fprintf(stderr, "ledge: %s\n", line.c_str()); };
    LEDGE_ASSIGN(out->queue_, deploy::EventQueue::open(a.state_dir + "/telemetry.db",
                                                       deploy::QueueLimits{}, hooks));
    if (to_agent) return out;  // the agent's own uplink sends the queue (SQLite shares it)
    deploy::UplinkOptions o;
    o.broker = broker;
    o.device_id = a.device_id;
    o.log = hooks.log;
    LEDGE_ASSIGN(out->uplink_, deploy::MqttUplink::create(*out->queue_, o));
    LEDGE_TRY(out->uplink_->start());
    return out;
  }

  // kind: "stream_event", "stream_drift", "stream_summary" or "stream_report".
  Status emit(const std::string& kind, const nlohmann::ordered_json& payload) {
    if (!queue_) {
      if (kind == "stream_summary" || kind == "stream_report") return Status();  // printed
      std::printf("%s\n", payload.dump().c_str());
      std::fflush(stdout);
      return Status();
    }
    return queue_->record({kind, payload.dump()});
  }

  // Gives the uplink up to 3 s to empty the queue, then stops it; what the broker has not
  // acknowledged by then stays queued (on disk) for `ledge telemetry`. Waiting before stopping,
  // rather than stopping and draining, avoids resending what is in flight.
  void finish(const std::string& state_dir) {
    if (!uplink_) return;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (std::chrono::steady_clock::now() < until) {
      auto s = queue_->stats();
      if (!s || s->count == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    uplink_->stop();
    if (auto s = queue_->stats(); s && s->count > 0)
      std::fprintf(stderr,
                   "ledge: note: %lld events not yet acknowledged, kept in %s/telemetry.db\n",
                   static_cast<long long>(s->count), state_dir.c_str());
  }

 private:
  EventOutput() = default;
  std::unique_ptr<deploy::EventQueue> queue_;
  std::unique_ptr<deploy::MqttUplink> uplink_;
};

void print_report(const stream::StreamReport& r) {
  std::printf("source               %s\n", r.source.c_str());
  std::printf("elapsed              %.2f s\n", r.elapsed_s);
  std::printf("frames               %lld produced, %lld decided, %lld skipped, %lld pending\n",
              static_cast<long long>(r.produced), static_cast<long long>(r.decided),
              static_cast<long long>(r.skipped), static_cast<long long>(r.pending));
  std::printf("rates                %.1f fps in, %.1f decisions/s\n", r.input_fps, r.output_fps);
  std::printf("frame age            p50 %.2f ms, p99 %.2f ms\n", r.age_ms.p50, r.age_ms.p99);
  std::printf("inference            p50 %.2f ms, p99 %.2f ms\n", r.latency_ms.p50,
              r.latency_ms.p99);
  std::printf("frame to decision    p50 %.2f ms, p99 %.2f ms\n", r.frame_to_decision_ms.p50,
              r.frame_to_decision_ms.p99);
  if (r.cpu_temp_c) std::printf("cpu temperature      %.1f C\n", *r.cpu_temp_c);
  for (const stream::DriftAlarm& a : r.drift_alarms)
    std::printf("drift                %s %.2f -> %.2f at %.1f s\n", a.measure.c_str(), a.baseline,
                a.current, a.at_s);
}

// The artifact the agent with state folder `dir` has active, and the preprocessing its signed
// manifest records ("" when none).
Expected<std::pair<std::string, std::string>> agent_model(const std::string& dir) {
  if (!std::filesystem::is_directory(dir + "/slots"))
    return invalid_argument("agent state " + dir + ": not an agent's state folder");
  LEDGE_ASSIGN(agent::SlotStore slots, agent::SlotStore::open(dir));
  LEDGE_ASSIGN(std::optional<agent::ActiveRecord> active, slots.active());
  if (!active) return invalid_argument("agent state " + dir + ": no model is installed");
  const std::string slot = slots.slot_dir(active->slot);
  LEDGE_ASSIGN(std::string text, read_file(slot + "/manifest.json", 1 << 20));
  LEDGE_ASSIGN(deploy::Manifest m, deploy::manifest_from_json(text));
  return std::make_pair(slot + "/" + active->model, m.preprocess);
}

int stream_command(const StreamArgs& a) {
  if (a.duration < 0 || a.max_decisions < 0 || a.threads < 1 || !(a.drift_baseline > 0) ||
      !(a.drift_window > 0))
    return report(invalid_argument(
        "--duration, --max-decisions not negative; --threads, --drift-baseline, --drift-window "
        "positive"));
  std::optional<stream::EmitRule> rule;
  if (!a.emit.empty()) {
    auto r = stream::EmitRule::parse(a.emit);
    if (!r) return report(r.error());
    rule = *r;
  }
  if (a.to != "stdout" && a.to != "agent") {  // a bad URL fails before the model loads
    if (auto b = deploy::parse_broker_url(a.to); !b)
      return report(
          invalid_argument("--to: stdout, agent or mqtt://HOST:PORT, got '" + a.to + "'"));
  }
  // agent:DIR: the model the device agent in DIR serves, with its bundle's preprocessing.
  std::string model_path = a.model, preprocess = a.preprocess;
  if (a.model.starts_with("agent:")) {
    auto active = agent_model(a.model.substr(6));
    if (!active) return report(active.error());
    model_path = active->first;
    if (preprocess.empty()) preprocess = active->second;
  }
  auto model = load_model(model_path);
  if (!model) return report(model.error());
  SessionOptions opts;
  opts.threads = a.threads;
  auto session = Session::create(std::move(*model), opts);
  if (!session) return report(std::move(session).error().with_context(model_path));
  auto infer =
      stream::model_inference(std::shared_ptr<const Session>(std::move(*session)), preprocess);
  if (!infer) return report(infer.error());
  auto source = stream::open_source(a.source);
  if (!source) return report(source.error());
  auto output = EventOutput::open(a);
  if (!output) return report(output.error());

  stream::PipelineOptions o;
  o.duration_s = a.duration;
  o.max_decisions = a.max_decisions;
  // Soak runs report their trend: ten summaries over the run unless told otherwise.
  o.summary_every_s = a.summary_every >= 0
                          ? a.summary_every
                          : (a.duration > 0 ? std::clamp(a.duration / 10, 1.0, 60.0) : 0);
  o.drift_options.baseline_s = a.drift_baseline;
  o.drift_options.window_s = a.drift_window;
  o.stop = &g_stop;
  std::optional<Error> output_error;
  const auto send = [&](const std::string& kind, const nlohmann::ordered_json& j) {
    if (output_error) return;
    if (Status st = (*output)->emit(kind, j); !st.ok()) {
      output_error = st.error();
      g_stop.store(true);
    }
  };
  const stream::Clock::time_point start = stream::Clock::now();
  o.on_decision = [&](const stream::DecidedFrame& d) {
    if (!rule) return;
    if (auto e = rule->observe(d.seq, d.decision))
      send("stream_event",
           stream::event_json(*e, d.age_ms, stream::seconds_between(start, d.decided)));
  };
  o.on_drift = [&](const stream::DriftAlarm& alarm) {
    nlohmann::ordered_json j;
    j["event"] = "drift";
    j.update(stream::alarm_json(alarm));
    send("stream_drift", j);
  };
  o.on_summary = [&](const stream::WindowSummary& s) {
    std::fprintf(stderr,
                 "ledge: %6.1f s  %5.1f fps in  %5.1f decisions/s  %lld skipped  age p50 %.1f "
                 "p99 %.1f ms  inference p50 %.1f p99 %.1f ms\n",
                 s.at_s, s.input_fps, s.output_fps, static_cast<long long>(s.skipped), s.age_ms.p50,
                 s.age_ms.p99, s.latency_ms.p50, s.latency_ms.p99);
    send("stream_summary", stream::summary_json(s));
  };

  g_stop.store(false);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  auto r = stream::run_pipeline(**source, *infer, o);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (r) send("stream_report", stream::report_json(*r));
  (*output)->finish(a.state_dir);
  if (!r) return report(r.error());
  if (output_error) return report(*output_error);
  if (a.json)
    std::printf("%s\n", stream::report_json(*r).dump(2).c_str());
  else
    print_report(*r);
  return 0;
}

}  // namespace

void add_stream_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<StreamArgs>();
  CLI::App* cmd = app.add_subcommand(
      "stream", "Run a model on the newest frame of a camera, video, folder or test source");
  cmd->add_option("--model", a->model,
                  "ONNX model, .ledge artifact, or agent:STATE_DIR (the agent's active model "
                  "with its bundle's preprocessing)")
      ->required();
  cmd->add_option("--source", a->source,
                  "v4l2:/dev/videoN, file:PATH, dir:PATH or synthetic:fps=30,...")
      ->required();
  cmd->add_option("--preprocess", a->preprocess,
                  "resize/crop/channels/layout/scale/mean/std/normalize (default: from the "
                  "model's input)");
  cmd->add_option("--emit", a->emit,
                  "when a decision becomes an event: class=3,5:0.8 or change, with ,debounce=N");
  cmd->add_option("--to", a->to,
                  "stdout (JSON lines, the default), agent (the agent's queue in --state-dir) "
                  "or mqtt://HOST:PORT");
  cmd->add_option("--state-dir", a->state_dir,
                  "with --to agent|mqtt: the durable queue's folder (the agent's --state-dir)");
  cmd->add_option("--device-id", a->device_id, "with --to mqtt: the id in topics");
  cmd->add_option("--duration", a->duration, "stop after S seconds (soak mode: summaries)");
  cmd->add_option("--summary-every", a->summary_every,
                  "seconds between summaries (default: a tenth of --duration, 1 to 60; 0: none)");
  cmd->add_option("--max-decisions", a->max_decisions, "stop after N decisions");
  cmd->add_option("--drift-baseline", a->drift_baseline,
                  "seconds of baseline for the drift alarm (default 5)");
  cmd->add_option("--drift-window", a->drift_window,
                  "seconds per window compared with the baseline (default 2)");
  cmd->add_option("--threads", a->threads, "worker threads for the model (default 1)");
  cmd->add_flag("--json", a->json, "print the final report as JSON");
  cmd->callback([a, &exit_code]() { exit_code = stream_command(*a); });
}

}  // namespace ledge::cli
