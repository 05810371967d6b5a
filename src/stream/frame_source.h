// Where frames come from: a camera, a video file, a folder of pictures or a synthetic test
// signal. open_source() (stream/source_spec.h) builds one from text such as "dir:frames/".
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "data/image_decode.h"

namespace ledge::stream {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // The next picture, waiting for it as a camera would (paced sources sleep until it is due);
  // nullopt at the end of a finite source. Called from one thread only.
  virtual Expected<std::optional<Image>> next() = 0;
  // Whether the pipeline must hand over every frame (a replay without a rate: the producer
  // then waits for the consumer instead of overwriting).
  virtual bool lock_step() const { return false; }
  // What the source is, for reports ("synthetic 30 fps", "file clip.mkv").
  virtual std::string describe() const = 0;
};

}  // namespace ledge::stream
