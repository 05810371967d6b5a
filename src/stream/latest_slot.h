// The hand-over between the capture thread and the deciding thread: one slot that always holds
// the newest frame. "Latest, not next": a producer never waits for a slow consumer (unless
// asked to, see publish_when_taken), it overwrites the frame nobody took, and that frame
// counts as skipped. So at any moment
//
//   published == taken + skipped + pending     (pending: 0 or 1, the frame in the slot)
//
// exactly. A queue would instead make a slow consumer fall further and further behind.
//
//   LatestSlot slot;
//   producer:  slot.publish(std::move(frame));   ...   slot.close();
//   consumer:  while (auto f = slot.take()) decide(*f);   // nullopt once closed and empty
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "stream/frame.h"

namespace ledge::stream {

struct SlotCounts {
  int64_t published = 0;
  int64_t taken = 0;
  int64_t skipped = 0;  // overwritten before anyone took them
  int64_t pending = 0;  // in the slot now (0 or 1)
};

class LatestSlot {
 public:
  // Puts `frame` in the slot; a frame still there is dropped and counted as skipped. False
  // (and nothing counted) once the slot is closed.
  bool publish(Frame frame);
  // Lock-step mode for sources that must not lose frames (replaying a file for a
  // comparison): waits until the slot is empty, then publishes. False if closed meanwhile.
  bool publish_when_taken(Frame frame);
  // The newest frame, waiting for one; nullopt once the slot is closed and empty.
  std::optional<Frame> take();
  // No more frames will come; wakes every waiter. A frame in the slot may still be taken.
  void close();
  SlotCounts counts() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Frame> slot_;
  bool closed_ = false;
  SlotCounts counts_;
};

}  // namespace ledge::stream
