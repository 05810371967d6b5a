// Releases frames at a rate, the way a camera does: each frame is due one period after the
// previous one was due (not after it was delivered), so the rate holds however long the
// caller took in between; a caller that fell behind by more than a period skips ahead
// rather than bursting.
#pragma once

#include <thread>

#include "stream/frame.h"

namespace ledge::stream {

class Pacer {
 public:
  // Sleeps until the next frame at `fps` (> 0) is due.
  void wait(double fps) {
    const auto period =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps));
    const Clock::time_point now = Clock::now();
    if (!started_) {
      started_ = true;
      due_ = now;
      start_ = now;
      return;
    }
    due_ += period;
    if (due_ + period < now) due_ = now;  // fell behind: no burst of catch-up frames
    std::this_thread::sleep_until(due_);
  }
  // Seconds since the first frame was released (0 before).
  double elapsed() const { return started_ ? seconds_between(start_, Clock::now()) : 0.0; }

 private:
  bool started_ = false;
  Clock::time_point start_{}, due_{};
};

}  // namespace ledge::stream
