// ledge agent --state-dir DIR --trust ROOT.pub [--inbox DIR] [--broker mqtt://HOST:PORT]
//             [--socket PATH] [--once] [--poll-ms N] [--json]
// ledge agent status --state-dir DIR [--json]
// ledge agent infer --socket PATH --input NAME=FILE.npy [--output-dir DIR]
//
// The device agent (src/agent/agent.h): finishes an interrupted install, serves the active
// model on a Unix socket, installs every bundle that appears in the inbox (verify, stage into
// the inactive slot, health check, atomic switch, or roll back), and records every step in
// the durable telemetry queue, sent to the broker when one is given. --once processes the
// inbox once, sends the queue (when a broker is given) and exits. docs/agent.md.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/agent.h"
#include "agent/fault_injector.h"
#include "agent/inference_service.h"
#include "core/file.h"
#include "deploy/broker_url.h"
#include "deploy/device_metrics.h"
#include "deploy/event_queue.h"
#include "deploy/keys.h"
#include "deploy/mqtt_uplink.h"
#include "io/npy.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

struct AgentArgs {
  std::string state_dir, trust, inbox, broker, socket;
  bool once = false, json = false;
  int poll_ms = 500, threads = 1;
  double summary_seconds = 60;
  double drain_timeout = 30;
  // infer
  std::vector<std::string> inputs;
  std::string output_dir;
};

volatile std::sig_atomic_t g_agent_stop = 0;
void on_agent_stop(int) { g_agent_stop = 1; }

void log_line(const std::string& line) { std::fprintf(stderr, "ledge agent: %s\n", line.c_str()); }

nlohmann::ordered_json result_json(const std::string& bundle, const agent::InstallResult& r) {
  nlohmann::ordered_json j;
  j["bundle"] = std::filesystem::path(bundle).filename().string();
  j["outcome"] = agent::outcome_name(r.outcome);
  j["version"] = r.version;
  if (!r.reason.empty()) j["reason"] = r.reason;
  nlohmann::ordered_json path = nlohmann::ordered_json::array();
  for (auto s : r.path) path.push_back(agent::state_name(s));
  j["states"] = path;
  return j;
}

int run_agent(const AgentArgs& a) {
  auto root = deploy::read_public_key(a.trust);
  if (!root) return report(root.error());
  auto faults = agent::FaultInjector::parse(
      std::getenv("LEDGE_AGENT_FAULT") ? std::getenv("LEDGE_AGENT_FAULT") : "");
  if (!faults) return report(faults.error());
  std::error_code ec;
  std::filesystem::create_directories(a.state_dir, ec);
  if (!a.inbox.empty()) std::filesystem::create_directories(a.inbox, ec);

  deploy::QueueHooks hooks;
  hooks.log = log_line;
  auto queue =
      deploy::EventQueue::open(a.state_dir + "/telemetry.db", deploy::QueueLimits{}, hooks);
  if (!queue) return report(queue.error());
  std::unique_ptr<deploy::MqttUplink> uplink;
  if (!a.broker.empty()) {
    auto broker = deploy::parse_broker_url(a.broker);
    if (!broker) return report(broker.error());
    deploy::UplinkOptions o;
    o.broker = *broker;
    o.log = log_line;
    auto u = deploy::MqttUplink::create(**queue, o);
    if (!u) return report(u.error());
    uplink = std::move(*u);
  }

  const std::string socket = a.socket.empty() ? a.state_dir + "/infer.sock" : a.socket;
  agent::ServiceOptions so;
  so.threads = a.threads;
  auto service = agent::InferenceService::start(socket, so);
  if (!service) return report(service.error());

  agent::AgentOptions o;
  o.state_dir = a.state_dir;
  o.trust = deploy::TrustRoot{*root};
  o.events = queue->get();
  o.checkpoint = faults->checkpoint();
  o.health.threads = a.threads;
  // The agent's log lines go to stderr and, as "log" events, to the queue (and upstream).
  o.log = [q = queue->get()](const std::string& line) {
    log_line(line);
    if (Status st = q->record({"log", nlohmann::json{{"message", line}}.dump()}); !st.ok())
      log_line("cannot queue the log line: " + st.error().message());
  };
  o.on_commit = [&](const agent::ActiveRecord& r, const std::string& dir) {
    if (Status st = (*service)->serve(r, dir); !st.ok())
      log_line("cannot serve version " + std::to_string(r.version) + ": " + st.error().message());
  };
  auto ag = agent::Agent::open(o);
  if (!ag) return report(ag.error());
  if (Status st = (*ag)->recover(); !st.ok()) log_line("recovery: " + st.error().message());
  if (auto active = (*ag)->active(); !active) {
    return report(active.error());
  } else if (*active) {
    o.on_commit(**active, (*ag)->slots().slot_dir((*active)->slot));
    log_line("serving " + (*active)->name + " version " + std::to_string((*active)->version) +
             " on " + socket);
  } else {
    log_line("no model installed yet; listening on " + socket);
  }
  if (uplink && !a.once) {
    if (Status st = uplink->start(); !st.ok()) return report(st.error());
  }

  std::signal(SIGINT, on_agent_stop);
  std::signal(SIGTERM, on_agent_stop);
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  bool interrupted = false;
  auto summary_start = std::chrono::steady_clock::now();
  // Every summary period (and at exit): an inference summary of the requests served, and the
  // device's metrics (CPU temperature where the board has a sensor).
  auto summarize = [&] {
    const auto now = std::chrono::steady_clock::now();
    const double window = std::chrono::duration<double>(now - summary_start).count();
    summary_start = now;
    std::vector<double> latencies = (*service)->take_latencies();
    auto active = (*ag)->active();
    if (!latencies.empty() && active && *active) {
      Status st = (*queue)->record(deploy::inference_summary_event(
          deploy::summarize_inferences(std::move(latencies), window),
          (*active)->name + "@" + std::to_string((*active)->version)));
      if (!st.ok()) log_line(st.error().message());
    }
    if (Status st = (*queue)->record(deploy::device_metrics_event()); !st.ok())
      log_line(st.error().message());
  };
  while (!g_agent_stop) {
    if (!a.inbox.empty()) {
      std::vector<std::string> names;
      for (const auto& r : (*ag)->process_inbox(a.inbox)) {
        const nlohmann::ordered_json j = result_json(r.bundle, r);
        interrupted |= r.outcome == agent::InstallOutcome::kInterrupted;
        if (a.json)
          results.push_back(j);
        else
          std::printf("%s: %s%s%s\n", j["bundle"].get<std::string>().c_str(),
                      agent::outcome_name(r.outcome),
                      r.version ? (" (version " + std::to_string(r.version) + ")").c_str() : "",
                      r.reason.empty() ? "" : (": " + r.reason).c_str());
        std::fflush(stdout);
      }
    }
    if (a.once) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(a.poll_ms));
    if (std::chrono::steady_clock::now() - summary_start >
        std::chrono::duration<double>(a.summary_seconds))
      summarize();
  }
  summarize();
  if (uplink) {
    if (a.once) {
      if (Status st = uplink->drain(
              std::chrono::milliseconds(static_cast<int64_t>(a.drain_timeout * 1000)));
          !st.ok())
        log_line("telemetry not fully sent (kept on disk): " + st.error().message());
    }
    uplink->stop();
  }
  (*service)->stop();
  if (a.json) {
    nlohmann::ordered_json out;
    out["installs"] = results;
    auto active = (*ag)->active();
    if (active && *active) {
      out["active"] = {
          {"slot", (*active)->slot}, {"version", (*active)->version}, {"name", (*active)->name}};
    } else {
      out["active"] = nullptr;
    }
    std::printf("%s\n", out.dump(2).c_str());
  }
  return interrupted ? 5 : 0;
}

int show_status(const AgentArgs& a) {
  auto slots = agent::SlotStore::open(a.state_dir);
  if (!slots) return report(slots.error());
  auto active = slots->active();
  if (!active) return report(active.error());
  auto journal = agent::read_journal(slots->journal_path());
  nlohmann::ordered_json j;
  if (*active)
    j["active"] = {{"slot", (*active)->slot},
                   {"version", (*active)->version},
                   {"name", (*active)->name},
                   {"delegation_version", (*active)->delegation_version}};
  else
    j["active"] = nullptr;
  if (!journal)
    j["journal"] = journal.error().message();
  else if (*journal)
    j["journal"] = {{"bundle", (*journal)->bundle},
                    {"step", (*journal)->step},
                    {"attempts", (*journal)->attempts}};
  else
    j["journal"] = nullptr;
  nlohmann::ordered_json rejected = nlohmann::ordered_json::array();
  std::error_code ec;
  std::vector<std::string> reasons;
  for (const auto& e : std::filesystem::directory_iterator(slots->rejected_dir(), ec))
    if (e.path().extension() == ".reason") reasons.push_back(e.path().string());
  std::sort(reasons.begin(), reasons.end());
  for (const auto& p : reasons) {
    // A reason is a line or two; an unreadable one is shown as such, not skipped.
    Expected<std::string> read = read_file(p, 4096);
    std::string text = read ? std::move(*read) : "(unreadable: " + read.error().message() + ")";
    while (!text.empty() && text.back() == '\n') text.pop_back();
    rejected.push_back({{"bundle", std::filesystem::path(p).stem().string()}, {"reason", text}});
  }
  j["rejected"] = rejected;
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (*active)
    std::printf("active    %s version %llu (slot %s)\n", (*active)->name.c_str(),
                static_cast<unsigned long long>((*active)->version), (*active)->slot.c_str());
  else
    std::printf("active    none\n");
  std::printf("journal   %s\n", j["journal"].is_null() ? "none" : j["journal"].dump().c_str());
  for (const auto& r : rejected)
    std::printf("rejected  %s: %s\n", r["bundle"].get<std::string>().c_str(),
                r["reason"].get<std::string>().c_str());
  return 0;
}

int infer(const AgentArgs& a) {
  agent::NamedTensors inputs;
  for (const auto& spec : a.inputs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return report(invalid_argument("--input '" + spec + "': expected NAME=FILE"));
    auto t = read_tensor_file(spec.substr(eq + 1));
    if (!t) return report(t.error());
    inputs.emplace_back(spec.substr(0, eq), std::move(*t));
  }
  auto reply = agent::infer_over_socket(a.socket, inputs);
  if (!reply) return report(reply.error());
  std::printf("model version %llu\n", static_cast<unsigned long long>(reply->version));
  for (const auto& [name, t] : reply->outputs) {
    std::printf("%s: %s", name.c_str(), shape_to_string(t.shape()).c_str());
    if (t.dtype() == DType::kFloat32 && t.numel() > 0) {
      const float* p = t.data<float>();
      int64_t best = 0;
      for (int64_t i = 1; i < t.numel(); ++i)
        if (p[i] > p[best]) best = i;
      std::printf(" argmax %lld", static_cast<long long>(best));
    }
    std::printf("\n");
    if (!a.output_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(a.output_dir, ec);
      if (Status st = write_npy(a.output_dir + "/" + sanitize_name(name) + ".npy", t); !st.ok())
        return report(st.error());
    }
  }
  return 0;
}

}  // namespace

void add_agent_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<AgentArgs>();
  CLI::App* cmd =
      app.add_subcommand("agent",
                         "Device agent: install signed bundles from an inbox (A/B, health check, "
                         "rollback), serve the active model, queue and send telemetry");
  cmd->require_subcommand(0, 1);
  cmd->add_option("--state-dir", a->state_dir, "slots, pointer, journal, telemetry queue");
  cmd->add_option("--trust", a->trust, "the root public key (ROOT.pub)");
  cmd->add_option("--inbox", a->inbox, "folder watched for *.bundle files");
  cmd->add_option("--broker", a->broker, "send telemetry to mqtt://HOST:PORT");
  cmd->add_option("--socket", a->socket, "inference socket (default STATE_DIR/infer.sock)");
  cmd->add_flag("--once", a->once, "process the inbox once, send telemetry, exit");
  cmd->add_option("--poll-ms", a->poll_ms, "inbox poll period (default 500)")
      ->check(CLI::Range(10, 600000));
  cmd->add_option("--threads", a->threads, "threads per model (default 1)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--drain-timeout", a->drain_timeout,
                  "--once: seconds to send telemetry (default 30)");
  cmd->add_flag("--json", a->json, "--once: print the installs as JSON");
  cmd->add_option("--summary-seconds", a->summary_seconds,
                  "period of inference summaries and device metrics (default 60)")
      ->check(CLI::Range(0.1, 86400.0));

  CLI::App* st = cmd->add_subcommand("status", "Show the active model, the journal and refusals");
  st->add_option("--state-dir", a->state_dir, "the agent's state folder")->required();
  st->add_flag("--json", a->json, "print JSON");
  st->callback([a, &exit_code] { exit_code = show_status(*a); });

  CLI::App* in = cmd->add_subcommand("infer", "Run the agent's active model on inputs");
  in->add_option("--socket", a->socket, "the agent's inference socket")->required();
  in->add_option("--input", a->inputs, "NAME=FILE.npy|.pb, repeatable")->required();
  in->add_option("--output-dir", a->output_dir, "write each output as NAME.npy");
  in->callback([a, &exit_code] { exit_code = infer(*a); });

  cmd->callback([cmd, a, &exit_code] {
    if (!cmd->get_subcommands().empty()) return;
    if (a->state_dir.empty() || a->trust.empty()) {
      exit_code = report(invalid_argument("agent: --state-dir and --trust are required"));
      return;
    }
    exit_code = run_agent(*a);
  });
}

}  // namespace ledge::cli
