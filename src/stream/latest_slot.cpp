#include "stream/latest_slot.h"

#include <utility>

namespace ledge::stream {

bool LatestSlot::publish(Frame frame) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    if (slot_) ++counts_.skipped;
    slot_ = std::move(frame);
    ++counts_.published;
    counts_.pending = 1;
  }
  changed_.notify_all();
  return true;
}

bool LatestSlot::publish_when_taken(Frame frame) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !slot_ || closed_; });
    if (closed_) return false;
    slot_ = std::move(frame);
    ++counts_.published;
    counts_.pending = 1;
  }
  changed_.notify_all();
  return true;
}

std::optional<Frame> LatestSlot::take() {
  std::optional<Frame> out;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return slot_.has_value() || closed_; });
    if (!slot_) return std::nullopt;
    out = std::move(slot_);
    slot_.reset();
    ++counts_.taken;
    counts_.pending = 0;
  }
  changed_.notify_all();  // a lock-step producer waits for the empty slot
  return out;
}

void LatestSlot::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

SlotCounts LatestSlot::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

}  // namespace ledge::stream
