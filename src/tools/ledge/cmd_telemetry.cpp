// ledge telemetry --state-dir DIR --broker mqtt://HOST:PORT [--device-id ID]
//                 [--once [--timeout S] | --duration S] [--allow-raw]
// ledge telemetry --state-dir DIR --stats [--json]
// ledge telemetry --state-dir DIR --record KIND --payload JSON
//
// The durable event queue DIR/telemetry.db (src/deploy/event_queue.h) and its MQTT uplink
// (src/deploy/mqtt_uplink.h): send the backlog to a broker, show the queue's counters, or add
// an event from a script. The device agent opens the same file and runs the same uplink.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "deploy/broker_url.h"
#include "deploy/event_queue.h"
#include "deploy/mqtt_uplink.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

struct TelemetryArgs {
  std::string state_dir, broker, device_id, record_kind, payload;
  bool once = false, stats = false, json = false, allow_raw = false;
  double duration = 0, timeout = 30;
  int64_t max_bytes = int64_t{64} << 20, max_age = 30 * 24 * 60 * 60;
};

volatile std::sig_atomic_t g_stop_signal = 0;
void on_stop_signal(int) { g_stop_signal = 1; }

Expected<std::unique_ptr<deploy::EventQueue>> open_queue(const TelemetryArgs& a) {
  std::error_code ec;
  std::filesystem::create_directories(a.state_dir, ec);
  if (!std::filesystem::is_directory(a.state_dir))
    return io_error("state dir " + a.state_dir + ": not a directory" +
                    (ec ? " (" + ec.message() + ")" : ""));
  deploy::QueueHooks hooks;
  hooks.log = [](const std::string& line) { std::fprintf(stderr, "ledge: %s\n", line.c_str()); };
  return deploy::EventQueue::open(a.state_dir + "/telemetry.db",
                                  deploy::QueueLimits{a.max_bytes, a.max_age}, hooks);
}

int print_stats(deploy::EventQueue& queue, bool json) {
  auto s = queue.stats();
  if (!s) return report(s.error());
  if (json) {
    nlohmann::ordered_json j;
    j["device_id"] = queue.device_id();
    j["count"] = s->count;
    j["bytes"] = s->bytes;
    j["dropped_by_size"] = s->dropped_by_size;
    j["dropped_by_age"] = s->dropped_by_age;
    j["refused_raw"] = s->refused_raw;
    j["quarantined"] = s->quarantined;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("device_id        %s\n", queue.device_id().c_str());
  std::printf("queued           %lld events, %lld bytes\n", static_cast<long long>(s->count),
              static_cast<long long>(s->bytes));
  std::printf("dropped_by_size  %lld\n", static_cast<long long>(s->dropped_by_size));
  std::printf("dropped_by_age   %lld\n", static_cast<long long>(s->dropped_by_age));
  std::printf("refused_raw      %lld\n", static_cast<long long>(s->refused_raw));
  std::printf("quarantined      %lld\n", static_cast<long long>(s->quarantined));
  return 0;
}

int run_uplink(deploy::EventQueue& queue, const TelemetryArgs& a) {
  auto broker = deploy::parse_broker_url(a.broker);
  if (!broker) return report(broker.error());
  deploy::UplinkOptions o;
  o.broker = *broker;
  o.device_id = a.device_id;
  o.allow_raw = a.allow_raw;
  o.log = [](const std::string& line) { std::fprintf(stderr, "ledge: %s\n", line.c_str()); };
  auto uplink = deploy::MqttUplink::create(queue, o);
  if (!uplink) return report(uplink.error());
  auto& u = **uplink;
  if (a.once) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(a.timeout * 1000));
    if (Status st = u.drain(timeout); !st.ok()) return report(st.error());
  } else {
    // Until the duration passes (or forever without one), or SIGINT/SIGTERM.
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    if (Status st = u.start(); !st.ok()) return report(st.error());
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(a.duration * 1000));
    while (!g_stop_signal && (a.duration <= 0 || std::chrono::steady_clock::now() < end))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    u.stop();
  }
  const auto s = u.stats();
  std::printf("sent %lld events (%lld acknowledged), %lld raw events withheld\n",
              static_cast<long long>(s.published), static_cast<long long>(s.acknowledged),
              static_cast<long long>(s.refused_raw));
  return 0;
}

int telemetry(const TelemetryArgs& a) {
  const int modes = !a.broker.empty() + a.stats + !a.record_kind.empty();
  if (modes != 1)
    return report(invalid_argument("give exactly one of --broker, --stats, --record"));
  if (!a.payload.empty() && a.record_kind.empty())
    return report(invalid_argument("--payload goes with --record"));
  if (a.once && a.duration > 0)
    return report(invalid_argument("--once and --duration exclude each other"));
  if (!a.broker.empty()) {  // a bad URL fails before any file is touched
    if (auto b = deploy::parse_broker_url(a.broker); !b) return report(b.error());
  }
  if (a.max_bytes <= 0 || a.max_age < 0 || a.duration < 0 || !(a.timeout > 0))
    return report(
        invalid_argument("--max-bytes, --timeout must be positive; --max-age, "
                         "--duration not negative"));
  auto queue = open_queue(a);
  if (!queue) return report(queue.error());
  if (a.stats) return print_stats(**queue, a.json);
  if (!a.record_kind.empty()) {
    const std::string payload = a.payload.empty() ? "{}" : a.payload;
    if (Status st = (*queue)->record({a.record_kind, payload}); !st.ok()) return report(st.error());
    return 0;
  }
  return run_uplink(**queue, a);
}

}  // namespace

void add_telemetry_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<TelemetryArgs>();
  CLI::App* cmd = app.add_subcommand(
      "telemetry", "Send the durable event queue to an MQTT broker, show it, or add to it");
  cmd->add_option("--state-dir", a->state_dir, "the device's state folder (DIR/telemetry.db)")
      ->required();
  cmd->add_option("--broker", a->broker, "send the queue to mqtt://HOST:PORT");
  cmd->add_option("--device-id", a->device_id,
                  "the id in topics (default: the one kept in the queue)");
  cmd->add_flag("--once", a->once, "send the backlog, then exit (exit 5 if it could not)");
  cmd->add_option("--timeout", a->timeout, "with --once: give up after S seconds (default 30)");
  cmd->add_option("--duration", a->duration,
                  "keep sending for S seconds (default: until SIGINT/SIGTERM)");
  cmd->add_flag("--allow-raw", a->allow_raw, "also send raw_input events (off: deleted unsent)");
  cmd->add_flag("--stats", a->stats, "print the queue's counters");
  cmd->add_flag("--json", a->json, "with --stats: as JSON");
  cmd->add_option("--record", a->record_kind, "append an event of this kind");
  cmd->add_option("--payload", a->payload, "with --record: a JSON object (default {})");
  cmd->add_option("--max-bytes", a->max_bytes, "queue size cap in bytes (default 64 MiB)");
  cmd->add_option("--max-age", a->max_age, "queue age cap in seconds (default 30 days; 0: none)");
  cmd->callback([a, &exit_code]() { exit_code = telemetry(*a); });
}

}  // namespace ledge::cli
