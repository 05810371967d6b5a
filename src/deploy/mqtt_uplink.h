// Sends the durable queue's events to an MQTT broker, oldest first, at QoS 1, and deletes each
// event only once the broker acknowledged it (PUBACK). docs/telemetry.md has the wire format.
//
//   LEDGE_ASSIGN(auto queue, EventQueue::open(dir + "/telemetry.db", QueueLimits{}));
//   UplinkOptions o;
//   LEDGE_ASSIGN(o.broker, parse_broker_url("mqtt://127.0.0.1:1883"));
//   LEDGE_ASSIGN(auto uplink, MqttUplink::create(*queue, o));
//   LEDGE_TRY(uplink->start());   // a background thread; or drain(timeout) in this thread
//   ...
//   uplink->stop();               // also done by the destructor
//
// Topics: `ledge/<device-id>/events/<kind>` for events, `ledge/<device-id>/stats` (retained)
// for the queue's counters (drops, refused raw events, quarantined files).
//
// Delivery is at least once: a PUBACK lost with the connection means the event is sent again
// after the reconnect, with the same id, so receivers de-duplicate by id. After a reconnect the
// backlog is sent again from the oldest unacknowledged event, in order. Reconnects back off
// exponentially (initial doubling up to a cap, each delay jittered to 50..100%).
//
// Privacy: kinds in `raw_kinds` (default: raw_input) never leave the device unless allow_raw;
// the uplink deletes them from the queue unsent and counts them (QueueStats::refused_raw).
//
// Ownership and threads: the queue must outlive the uplink. All MQTT work happens in one
// thread: the one start() creates, or the caller of drain()/run_for() (not both at once).
// stats() may be called from any thread. The only global is mosquitto_lib_init(), called once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "deploy/broker_url.h"
#include "deploy/event_queue.h"

struct mosquitto;

namespace ledge::deploy {

struct UplinkOptions {
  BrokerAddress broker;
  std::string device_id;  // empty: the queue's own (EventQueue::device_id)
  std::string client_id;  // empty: "ledge-<device-id>"; unique per broker
  bool allow_raw = false;
  std::vector<std::string> raw_kinds = {"raw_input"};
  int max_inflight = 16;  // published, not yet acknowledged
  int keepalive_seconds = 30;
  double backoff_initial_seconds = 0.5;
  double backoff_max_seconds = 60;
  double connack_timeout_seconds = 10;
  std::function<void(const std::string&)> log;  // one line; default: stderr
};

struct UplinkStats {
  int64_t published = 0;     // events handed to the broker (resends included)
  int64_t acknowledged = 0;  // events acknowledged and deleted from the queue
  int64_t refused_raw = 0;   // raw events deleted unsent (this uplink's share)
  int64_t connects = 0;      // accepted connections
  int64_t connect_failures = 0;
  bool connected = false;
};

class MqttUplink {
 public:
  static Expected<std::unique_ptr<MqttUplink>> create(EventQueue& queue, UplinkOptions options);
  ~MqttUplink();
  MqttUplink(const MqttUplink&) = delete;
  MqttUplink& operator=(const MqttUplink&) = delete;

  // Runs the uplink in a background thread until stop().
  Status start();
  void stop();
  // In the calling thread: until the queue is empty and every message acknowledged (ok), or
  // the timeout passes (an I/O error saying how many events are left).
  Status drain(std::chrono::milliseconds timeout);
  // In the calling thread, for this long, delivering what comes.
  Status run_for(std::chrono::milliseconds duration);

  UplinkStats stats() const;

 private:
  MqttUplink(EventQueue& queue, UplinkOptions options);
  using Clock = std::chrono::steady_clock;

  // One turn of the loop: connect when due, network I/O for up to ~50 ms, acks, publishing.
  void step();
  void try_connect();
  void lost_connection(const std::string& why);
  void close_connection();
  void schedule_reconnect();
  void flush_acks();
  void fill_window();
  void publish_stats_if_changed();
  bool idle() const;  // nothing in flight, nothing acknowledged but not yet deleted
  void log(const std::string& line);

  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_publish(mosquitto*, void* self, int mid);

  EventQueue& queue_;
  UplinkOptions options_;
  std::string topic_prefix_;  // "ledge/<device-id>/"

  // Owned by the loop's thread.
  mosquitto* mosq_ = nullptr;
  enum class Link { kDown, kAwaitingConnack, kUp } link_ = Link::kDown;
  Clock::time_point next_attempt_{};
  Clock::time_point connect_started_{};
  int failed_attempts_ = 0;
  bool lost_ = false;
  std::string lost_reason_;
  std::map<int, std::string> inflight_;  // mid -> event id ("" for the stats message)
  std::vector<std::string> acked_;       // ids acknowledged, to delete from the queue
  int64_t last_sent_seq_ = 0;
  std::string last_stats_;  // the last stats message sent on this connection

  std::atomic<bool> stop_requested_{false};
  std::thread thread_;
  mutable std::mutex stats_mutex_;
  UplinkStats stats_;
};

}  // namespace ledge::deploy
