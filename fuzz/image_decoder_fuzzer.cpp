// Feeds arbitrary bytes to the PNG and JPEG decoders, then preprocesses what decodes (resize,
// crop, channel conversion), as a folder of untrusted pictures would be.
#include <cstddef>
#include <cstdint>

#include "data/image_decode.h"
#include "data/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto img = ledge::decode_image(data, size);
  if (!img) return 0;
  static const auto spec = ledge::parse_preprocess("resize=9,crop=7x5,channels=bgr,layout=nhwc");
  if (spec) (void)ledge::preprocess_image(*img, *spec);
  return 0;
}
