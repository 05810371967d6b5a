// PNG and JPEG files decoded to 8-bit pixels, for data sets of pictures (data/image_folder.h).
//
//   LEDGE_ASSIGN(Image img, read_image("cat.jpg"));   // img.pixels: height x width x channels
//
// The format is recognized by content (signature), not by name. Pixels come out as stored,
// without colour management (gAMA, sRGB, ICC profiles are ignored, as most training pipelines
// do): 1 channel (gray) or 3 (RGB). Palettes are expanded, 16-bit samples are scaled to 8 bits,
// and alpha is dropped (not composited). CMYK JPEGs are refused.
//
// Files are untrusted: dimensions are checked before anything is allocated for them (at most
// kMaxImageSide per side and kMaxImageBytes of pixels), truncated or corrupt data is an error
// naming the file, and nothing is printed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace ledge {

inline constexpr int64_t kMaxImageSide = int64_t{1} << 20;
inline constexpr size_t kMaxImageBytes = size_t{1} << 28;

// An 8-bit image, row-major, channels interleaved (HWC).
struct Image {
  int64_t height = 0, width = 0, channels = 0;  // channels: 1 (gray) or 3 (RGB)
  std::vector<uint8_t> pixels;                  // height * width * channels bytes

  uint8_t at(int64_t y, int64_t x, int64_t c) const {
    return pixels[static_cast<size_t>((y * width + x) * channels + c)];
  }
};

// Decodes a PNG or JPEG held in memory. Errors do not name a file (read_image adds it).
Expected<Image> decode_image(const uint8_t* data, size_t size);

// Reads and decodes one file; every error message starts with `path`.
Expected<Image> read_image(const std::string& path);

// Whether a file name ends in .png, .jpg or .jpeg (any case): the files an image folder uses.
bool has_image_extension(const std::string& path);

}  // namespace ledge
