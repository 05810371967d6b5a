// The durable telemetry queue: events wait in an SQLite file until the uplink saw the
// broker's acknowledgement, across crashes, power cuts and weeks offline.
//
//   LEDGE_ASSIGN(auto queue, EventQueue::open(dir + "/telemetry.db", QueueLimits{}));
//   LEDGE_TRY(queue->record({"install", R"({"version":"1.2"})"}));   // on disk when it returns
//   LEDGE_ASSIGN(auto batch, queue->peek(16));                     // oldest first
//   ... deliver ...
//   LEDGE_TRY(queue->ack({batch[0].id}));                          // delivered: deleted
//
// Durability: WAL journal with synchronous=FULL, so record() returns only after the event's
// commit reached the disk. Each event gets a random 128-bit id (libsodium) that stays with it
// through retries, so receivers de-duplicate by id; `seq` orders events (never reused).
//
// Caps (docs/telemetry.md): when the queue would exceed max_bytes, or an event is older than
// max_age_seconds, the OLDEST events are dropped, counted (stats(), persisted) and logged.
//
// A file that is not a healthy database is renamed to `<path>.corrupt-<unix time>` and a new
// queue is created in its place, with a `queue_quarantined` event saying so; open() fails only
// when the directory itself is unusable (permissions, missing directory).
//
// Thread-safety: every method may be called from any thread (one connection behind a mutex).
// Several processes may open the same file (SQLite locking, 5 s busy timeout).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "deploy/event_sink.h"

struct sqlite3;

namespace ledge::deploy {

struct QueueLimits {
  int64_t max_bytes = int64_t{64} << 20;        // sum of event sizes (id + kind + payload + 64)
  int64_t max_age_seconds = 30 * 24 * 60 * 60;  // 0: no age cap
};

// Test seams and the log; defaults: the system clock and one line on stderr.
struct QueueHooks {
  std::function<int64_t()> now_ms;              // milliseconds since the Unix epoch
  std::function<void(const std::string&)> log;  // one line, no newline
};

struct QueuedEvent {
  int64_t seq = 0;  // order of recording, increasing, never reused in one file
  std::string id;   // 32 lower-case hex digits, random
  std::string kind;
  std::string payload;     // a JSON object
  int64_t created_ms = 0;  // wall clock at record()
};

struct QueueStats {
  int64_t count = 0;
  int64_t bytes = 0;
  int64_t dropped_by_size = 0;  // all persisted across restarts
  int64_t dropped_by_age = 0;
  int64_t refused_raw = 0;  // raw events the uplink deleted unsent (mqtt_uplink.h)
  int64_t quarantined = 0;  // corrupt files set aside
};

class EventQueue final : public EventSink {
 public:
  // Opens or creates the queue at `path` (its directory must exist).
  static Expected<std::unique_ptr<EventQueue>> open(const std::string& path, QueueLimits limits,
                                                    QueueHooks hooks = {});
  ~EventQueue() override;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Appends the event. `kind`: 1 to 64 of [A-Za-z0-9_.-] (it becomes an MQTT topic level);
  // `payload`: a JSON object. An event larger than max_bytes is refused (resource limit).
  Status record(const Event& event) override;
  // Up to n events with seq > after_seq, oldest first; events past the age cap are dropped first.
  Expected<std::vector<QueuedEvent>> peek(size_t n, int64_t after_seq = 0);
  // Deletes the events with these ids (unknown ids are ignored: a duplicate ack is harmless).
  Status ack(const std::vector<std::string>& ids);
  Expected<QueueStats> stats();
  // Adds to the refused_raw counter (the uplink, when it deletes raw events unsent).
  Status count_refused_raw(int64_t n);
  // The device id kept in the file (generated at creation: "dev-" and 16 hex digits).
  const std::string& device_id() const { return device_id_; }
  // The path a corrupt file was moved to at open(); empty when none was.
  const std::string& quarantined_to() const { return quarantined_to_; }

 private:
  EventQueue(sqlite3* db, QueueLimits limits, QueueHooks hooks);
  Status init_schema();
  Status drop_expired_locked(int64_t now);
  Status drop_to_fit_locked(int64_t incoming_bytes);
  Status add_counter_locked(const char* name, int64_t delta);
  void log_drops(const char* reason, int64_t n, int64_t total);

  std::mutex mutex_;
  sqlite3* db_;
  QueueLimits limits_;
  QueueHooks hooks_;
  std::string device_id_;
  std::string quarantined_to_;
  int64_t last_drop_log_ms_ = 0;
  int64_t unlogged_drops_ = 0;
};

}  // namespace ledge::deploy
