// Frames from a camera through Video4Linux2: memory-mapped capture buffers (VIDIOC_REQBUFS,
// mmap, VIDIOC_QBUF/DQBUF), YUYV or 8-bit gray, converted to RGB (BT.601) or gray. The
// camera sets the pace; the pipeline's latest-frame slot drops what the model has no time for.
//
//   v4l2:/dev/video0                     640x480, or the nearest size the driver offers
//   v4l2:/dev/video0,width=320,height=240
//
// A missing device, one that is not a capture device, or a camera that stops delivering
// (no frame for 2 s) is an error naming the device.
#pragma once

#include <memory>
#include <vector>

#include "stream/frame_source.h"

namespace ledge::stream {

class V4l2Source final : public FrameSource {
 public:
  static Expected<std::unique_ptr<V4l2Source>> open(const std::string& text);
  ~V4l2Source() override;
  Expected<std::optional<Image>> next() override;
  std::string describe() const override;

 private:
  struct Buffer {
    void* start = nullptr;
    size_t length = 0;
  };
  V4l2Source() = default;
  Status start(int64_t width, int64_t height);
  Image convert(const uint8_t* data, size_t bytes) const;

  std::string device_;
  int fd_ = -1;
  bool streaming_ = false;
  std::vector<Buffer> buffers_;
  uint32_t pixel_format_ = 0;
  int64_t width_ = 0, height_ = 0, stride_ = 0;
};

}  // namespace ledge::stream
