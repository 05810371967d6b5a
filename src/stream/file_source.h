// Frames from a video file, decoded with Debian's FFmpeg libraries (libavformat, libavcodec,
// libswscale): any container and codec they know. Frames come out as 8-bit RGB, or gray when
// the video itself is gray.
//
//   file:clip.mkv              every frame once, in lock-step with the consumer
//   file:clip.mp4,fps=native   at the file's own frame rate, like a camera
//   file:clip.mp4,fps=10       at 10 frames a second
//
// The file is untrusted: frames larger than 8192 pixels a side are refused, errors name the
// file, and FFmpeg's own logging is silenced.
#pragma once

#include <memory>

#include "stream/frame_source.h"
#include "stream/replay_pacing.h"

namespace ledge::stream {

class FileSource final : public FrameSource {
 public:
  static Expected<std::unique_ptr<FileSource>> open(const std::string& text);
  ~FileSource() override;
  Expected<std::optional<Image>> next() override;
  bool lock_step() const override { return pacing_.lock_step(); }
  std::string describe() const override;
  // The container's frame rate, 0 when it does not say.
  double native_fps() const { return native_fps_; }

 private:
  struct Decoder;
  FileSource();
  Expected<std::optional<Image>> decode_next();

  std::string path_;
  std::unique_ptr<Decoder> decoder_;
  ReplayPacing pacing_;
  double native_fps_ = 0;
};

}  // namespace ledge::stream
