// Where device events go: the durable on-disk queue (telemetry) in the agent and the stream
// pipeline, an in-memory list in tests.
//
//   MemoryEventSink sink;
//   LEDGE_TRY(sink.record({"rollback", R"({"reason":"health check failed"})"}));
//
// An event is a kind and a JSON object. A durable sink returns from record() only once the
// event is safe on disk, so a caller that saw success may forget it.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace ledge::deploy {

struct Event {
  std::string kind;     // "install", "rollback", "inference_summary", "stream_event", "log", ...
  std::string payload;  // a JSON object
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Records the event; thread-safe.
  virtual Status record(const Event& event) = 0;
};

// Keeps events in memory, in order (tests, and a process without a state directory).
class MemoryEventSink final : public EventSink {
 public:
  Status record(const Event& event) override;
  std::vector<Event> events() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

}  // namespace ledge::deploy
