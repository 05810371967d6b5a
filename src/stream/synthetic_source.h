// A camera stand-in at a known rate: a moving test pattern, or the pictures of an IDX data
// set in turn (Fashion-MNIST), with an optional change of rate and brightness part-way
// through, to exercise the latest-frame hand-over and the drift alarm.
//
//   synthetic:fps=30                      64x48 RGB test pattern, 30 frames a second, endless
//   synthetic:fps=30,drift_to=22,drift_after=5,images=/usr/share/.../t10k-images-idx3-ubyte.gz
//
// Options: fps (default 30), frames (stop after N; default 0, endless), drift_to (the rate
// after drift_after seconds), gain_to (pixel gain after drift_after, e.g. 0.5 darkens),
// drift_after (seconds, default 5), images (an IDX file of [N,H,W] or [N,H,W,3] uint8
// pictures, gzip or not), size (WxH of the pattern, default 64x48).
#pragma once

#include <memory>

#include "core/tensor.h"
#include "stream/frame_source.h"
#include "stream/pacer.h"

namespace ledge::stream {

struct SyntheticOptions {
  double fps = 30;
  int64_t frames = 0;   // 0: endless
  double drift_to = 0;  // 0: no rate change
  double gain_to = 1;
  double drift_after = 5;
  std::string images;  // IDX path; empty: the test pattern
  int64_t width = 64, height = 48;
};

Expected<SyntheticOptions> parse_synthetic_options(const std::string& text);

class SyntheticSource final : public FrameSource {
 public:
  static Expected<std::unique_ptr<SyntheticSource>> create(const SyntheticOptions& options);
  Expected<std::optional<Image>> next() override;
  std::string describe() const override;

  // Frame `index` as the source draws it, at pixel gain `gain` (for tests).
  Image draw(int64_t index, double gain) const;

 private:
  explicit SyntheticSource(SyntheticOptions o) : options_(std::move(o)) {}
  SyntheticOptions options_;
  Tensor images_;  // uint8 [N,H,W] or [N,H,W,3]; empty for the pattern
  Pacer pacer_;
  int64_t index_ = 0;
};

}  // namespace ledge::stream
