#include "stream/v4l2_source.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "stream/source_options.h"

namespace ledge::stream {

namespace {

constexpr int kBufferCount = 4;
constexpr int kFrameTimeoutMs = 2000;

// ioctl, retried when a signal interrupts it.
int xioctl(int fd, unsigned long request, void* arg) {
  int rc;
  do {
    rc = ioctl(fd, request, arg);
  } while (rc == -1 && errno == EINTR);
  return rc;
}

uint8_t clamp_byte(int v) { return static_cast<uint8_t>(std::clamp(v, 0, 255)); }

}  // namespace

Expected<std::unique_ptr<V4l2Source>> V4l2Source::open(const std::string& text) {
  const std::set<std::string> known = {"width", "height"};
  std::string device, option_text;
  split_path_and_options(text, known, device, option_text);
  if (device.empty()) return invalid_argument("v4l2 source: no device given (v4l2:/dev/videoN)");
  LEDGE_ASSIGN(SourceOptions o, SourceOptions::parse("v4l2", option_text, known));
  LEDGE_ASSIGN(double width, o.number("width", 640, 1, 8192));
  LEDGE_ASSIGN(double height, o.number("height", 480, 1, 8192));

  std::unique_ptr<V4l2Source> s(new V4l2Source());
  s->device_ = device;
  s->fd_ = ::open(device.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (s->fd_ < 0)
    return io_error("v4l2: " + device + ": cannot open (" + std::strerror(errno) +
                    "); is a camera connected, and may this user read it (group video)?");
  v4l2_capability cap{};
  if (xioctl(s->fd_, VIDIOC_QUERYCAP, &cap) < 0)
    return invalid_argument("v4l2: " + device + " is not a Video4Linux2 device (" +
                            std::strerror(errno) + ")");
  const uint32_t caps =
      (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  if (!(caps & V4L2_CAP_VIDEO_CAPTURE))
    return invalid_argument("v4l2: " + device + " is not a video capture device");
  if (!(caps & V4L2_CAP_STREAMING))
    return unsupported("v4l2: " + device + " does not support streaming (mmap) capture");
  LEDGE_TRY(s->start(static_cast<int64_t>(width), static_cast<int64_t>(height)));
  return s;
}

Status V4l2Source::start(int64_t width, int64_t height) {
  v4l2_format fmt{};
  fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  fmt.fmt.pix.width = static_cast<uint32_t>(width);
  fmt.fmt.pix.height = static_cast<uint32_t>(height);
  fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
  fmt.fmt.pix.field = V4L2_FIELD_NONE;
  if (xioctl(fd_, VIDIOC_S_FMT, &fmt) < 0)
    return io_error("v4l2: " + device_ + ": cannot set the format (" + std::strerror(errno) + ")");
  pixel_format_ = fmt.fmt.pix.pixelformat;  // the driver may choose another
  if (pixel_format_ != V4L2_PIX_FMT_YUYV && pixel_format_ != V4L2_PIX_FMT_GREY)
    return unsupported("v4l2: " + device_ + " offers neither YUYV nor GREY frames");
  width_ = fmt.fmt.pix.width;
  height_ = fmt.fmt.pix.height;
  const int64_t bytes_per_pixel = pixel_format_ == V4L2_PIX_FMT_YUYV ? 2 : 1;
  stride_ = std::max<int64_t>(fmt.fmt.pix.bytesperline, width_ * bytes_per_pixel);
  if (width_ < 1 || height_ < 1 || width_ > 8192 || height_ > 8192)
    return unsupported("v4l2: " + device_ + ": frames of " + std::to_string(width_) + "x" +
                       std::to_string(height_));

  v4l2_requestbuffers req{};
  req.count = kBufferCount;
  req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  req.memory = V4L2_MEMORY_MMAP;
  if (xioctl(fd_, VIDIOC_REQBUFS, &req) < 0 || req.count < 2)
    return io_error("v4l2: " + device_ + ": cannot get capture buffers");
  for (uint32_t i = 0; i < req.count; ++i) {
    v4l2_buffer buf{};
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    buf.index = i;
    if (xioctl(fd_, VIDIOC_QUERYBUF, &buf) < 0)
      return io_error("v4l2: " + device_ + ": cannot query buffer " + std::to_string(i));
    void* start = mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buf.m.offset);
    if (start == MAP_FAILED)
      return io_error("v4l2: " + device_ + ": cannot map buffer (" + std::strerror(errno) + ")");
    buffers_.push_back({start, buf.length});
    if (xioctl(fd_, VIDIOC_QBUF, &buf) < 0)
      return io_error("v4l2: " + device_ + ": cannot queue buffer");
  }
  v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if (xioctl(fd_, VIDIOC_STREAMON, &type) < 0)
    return io_error("v4l2: " + device_ + ": cannot start streaming (" + std::strerror(errno) + ")");
  streaming_ = true;
  return Status();
}

V4l2Source::~V4l2Source() {
  if (streaming_) {
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    xioctl(fd_, VIDIOC_STREAMOFF, &type);
  }
  for (const Buffer& b : buffers_) munmap(b.start, b.length);
  if (fd_ >= 0) ::close(fd_);
}

Image V4l2Source::convert(const uint8_t* data, size_t bytes) const {
  Image img;
  img.height = height_;
  img.width = width_;
  const bool gray = pixel_format_ == V4L2_PIX_FMT_GREY;
  img.channels = gray ? 1 : 3;
  img.pixels.assign(static_cast<size_t>(width_ * height_ * img.channels), 0);
  for (int64_t y = 0; y < height_; ++y) {
    const size_t row = static_cast<size_t>(y * stride_);
    if (row + static_cast<size_t>(width_ * (gray ? 1 : 2)) > bytes) break;  // short frame
    const uint8_t* in = data + row;
    uint8_t* out = &img.pixels[static_cast<size_t>(y * width_ * img.channels)];
    if (gray) {
      std::memcpy(out, in, static_cast<size_t>(width_));
      continue;
    }
    for (int64_t x = 0; x < width_; ++x) {
      // YUYV: Y0 U Y1 V for each pair of pixels; BT.601 limited range.
      const uint8_t* pair = in + (x / 2) * 4;
      const int yv = (x % 2 ? pair[2] : pair[0]) - 16, u = pair[1] - 128, v = pair[3] - 128;
      uint8_t* p = out + x * 3;
      p[0] = clamp_byte((298 * yv + 409 * v + 128) >> 8);
      p[1] = clamp_byte((298 * yv - 100 * u - 208 * v + 128) >> 8);
      p[2] = clamp_byte((298 * yv + 516 * u + 128) >> 8);
    }
  }
  return img;
}

Expected<std::optional<Image>> V4l2Source::next() {
  for (int waited = 0; waited < kFrameTimeoutMs; waited += 100) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fd_, &fds);
    timeval tv{0, 100 * 1000};
    const int rc = select(fd_ + 1, &fds, nullptr, nullptr, &tv);
    if (rc < 0 && errno != EINTR) return io_error("v4l2: " + device_ + ": " + std::strerror(errno));
    if (rc <= 0) continue;
    v4l2_buffer buf{};
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_DQBUF, &buf) < 0) {
      if (errno == EAGAIN) continue;
      return io_error("v4l2: " + device_ + ": cannot take a frame (" + std::strerror(errno) + ")");
    }
    if (buf.index >= buffers_.size())
      return io_error("v4l2: " + device_ + ": the driver returned an unknown buffer");
    const Buffer& b = buffers_[buf.index];
    Image img =
        convert(static_cast<const uint8_t*>(b.start), std::min<size_t>(buf.bytesused, b.length));
    if (xioctl(fd_, VIDIOC_QBUF, &buf) < 0)
      return io_error("v4l2: " + device_ + ": cannot give the buffer back");
    return std::optional<Image>(std::move(img));
  }
  return io_error("v4l2: " + device_ + ": no frame for " + std::to_string(kFrameTimeoutMs / 1000) +
                  " s");
}

std::string V4l2Source::describe() const {
  return "v4l2 " + device_ + " (" + std::to_string(width_) + "x" + std::to_string(height_) + ")";
}

}  // namespace ledge::stream
