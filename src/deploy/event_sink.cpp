#include "deploy/event_sink.h"

namespace ledge::deploy {

Status MemoryEventSink::record(const Event& event) {
  std::lock_guard lock(mutex_);
  events_.push_back(event);
  return {};
}

std::vector<Event> MemoryEventSink::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

}  // namespace ledge::deploy
