// Frames from a folder of PNG and JPEG pictures, in name order (data/image_folder.h lists
// them; names starting with '.' are skipped).
//
//   dir:frames/               every picture once, in lock-step with the consumer
//   dir:frames/,fps=15,loop=1 15 pictures a second, starting over at the end
#pragma once

#include <memory>
#include <vector>

#include "stream/frame_source.h"
#include "stream/replay_pacing.h"

namespace ledge::stream {

class DirSource final : public FrameSource {
 public:
  // `text` is what follows "dir:": the folder, then optional ",fps=N" and ",loop=0|1".
  static Expected<std::unique_ptr<DirSource>> open(const std::string& text);
  Expected<std::optional<Image>> next() override;
  bool lock_step() const override { return pacing_.lock_step(); }
  std::string describe() const override;
  size_t size() const { return files_.size(); }

 private:
  DirSource() = default;
  std::string dir_;
  std::vector<std::string> files_;  // full paths, in order
  ReplayPacing pacing_;
  bool loop_ = false;
  size_t index_ = 0;
};

}  // namespace ledge::stream
