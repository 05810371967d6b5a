// From a decoded picture to the float tensor a model takes: resize, center crop, channel
// order, layout, scale and per-channel normalization, described by one line of text.
//
//   LEDGE_ASSIGN(PreprocessSpec spec, parse_preprocess(
//       "resize=256,crop=224,channels=rgb,layout=nchw,scale=1/255,"
//       "mean=0.485/0.456/0.406,std=0.229/0.224/0.225"));
//   LEDGE_ASSIGN(Tensor x, preprocess_image(img, spec));   // float32 [3,224,224]
//
// Keys (each at most once, in any order; all optional):
//   resize=S      shorter side to S, the other in proportion (truncated, as torchvision does)
//   resize=WxH    exactly W wide and H high
//   crop=S|WxH    a center crop of that size, after resizing; larger than the image: an error
//   channels=rgb|bgr|gray   output channels; gray from RGB is 0.299 R + 0.587 G + 0.114 B,
//                           RGB from gray repeats it (default rgb)
//   layout=nchw|nhwc        sample shape [C,H,W] or [H,W,C] (default nchw)
//   scale=1/255   a fraction or a number (default: the data set's scale, itself 1/255)
//   mean=a/b/c, std=a/b/c   per output channel, in the order `channels` names them; one value
//                           stands for all channels (defaults 0 and 1)
//   normalize=standardize|grayworld   per-image statistics, for cameras whose exposure or
//                           white balance drifts (absent: none):
//     standardize  after everything else, the whole sample minus its mean, divided by
//                  max(standard deviation, 1/sqrt(N)) over its N values (TensorFlow's
//                  per_image_standardization; the floor keeps a flat image finite)
//     grayworld    before channel mixing, each source channel scaled so its mean over the
//                  image equals the mean of the channel means (gray-world white balance; a
//                  channel whose mean is 0 is left as it is; gray images are unchanged)
// Each value is ((pixel * scale) - mean[c]) / std[c], pixel in [0, 255]. Resizing is bilinear
// with half-pixel centres and no antialiasing (OpenCV's INTER_LINEAR, PyTorch's
// interpolate(align_corners=False)), computed in float without rounding to 8 bits.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "data/image_decode.h"

namespace ledge {

enum class ResizeMode { kNone, kShorterSide, kExact };
enum class ChannelOrder { kRgb, kBgr, kGray };
enum class SampleLayout { kNchw, kNhwc };
enum class Normalize { kNone, kStandardize, kGrayWorld };

struct PreprocessSpec {
  ResizeMode resize = ResizeMode::kNone;
  int64_t resize_width = 0, resize_height = 0;  // kShorterSide: both hold S
  int64_t crop_width = 0, crop_height = 0;      // 0: no crop
  ChannelOrder channels = ChannelOrder::kRgb;
  SampleLayout layout = SampleLayout::kNchw;
  bool has_scale = false;  // false: the caller's default applies
  float scale_num = 1, scale_den = 255;
  std::vector<float> mean, std;  // empty, one value, or one per output channel
  Normalize normalize = Normalize::kNone;

  int64_t channel_count() const { return channels == ChannelOrder::kGray ? 1 : 3; }
  // Whether every image comes out one size, whatever its own.
  bool fixes_size() const { return crop_width > 0 || resize == ResizeMode::kExact; }
};

// Parses a spec; "" gives the defaults. Errors name the offending key or value.
Expected<PreprocessSpec> parse_preprocess(const std::string& text);

// The sample shape an image of height x width becomes ([C,H,W] or [H,W,C]), or an error
// (crop larger than the resized image, size beyond the limits).
Expected<Shape> preprocessed_shape(const PreprocessSpec& spec, int64_t height, int64_t width);

// Writes the preprocessed image into `out`, which holds exactly preprocessed_shape's count.
Status preprocess_into(const Image& img, const PreprocessSpec& spec, std::span<float> out);

// The same into a new float32 tensor of preprocessed_shape.
Expected<Tensor> preprocess_image(const Image& img, const PreprocessSpec& spec);

// normalize=standardize on one sample's values, in place: (v - mean) / max(std, 1/sqrt(N)),
// computed in double. Public so that samples that are not pictures (IDX, .npy) can be
// standardized the same way as decoded ones.
void standardize(std::span<float> values);

}  // namespace ledge
