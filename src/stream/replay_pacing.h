// How a recorded source (a folder of pictures, a video file) is released into the pipeline:
// fps=0 (the default) hands over every frame in lock-step with the consumer, so the same
// frames always get decided, the way a test or an offline replay wants; fps=N releases
// frames at N per second like a camera, and the latest-frame rules apply.
#pragma once

#include "stream/pacer.h"

namespace ledge::stream {

class ReplayPacing {
 public:
  explicit ReplayPacing(double fps = 0) : fps_(fps) {}
  bool lock_step() const { return fps_ <= 0; }
  double fps() const { return fps_; }
  void wait() {
    if (fps_ > 0) pacer_.wait(fps_);
  }

 private:
  double fps_;
  Pacer pacer_;
};

}  // namespace ledge::stream
