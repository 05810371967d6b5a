#include "stream/synthetic_source.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "io/idx.h"
#include "stream/source_options.h"

namespace ledge::stream {

Expected<SyntheticOptions> parse_synthetic_options(const std::string& text) {
  LEDGE_ASSIGN(SourceOptions o, SourceOptions::parse("synthetic", text,
                                                     {"fps", "frames", "drift_to", "gain_to",
                                                      "drift_after", "images", "size"}));
  SyntheticOptions s;
  LEDGE_ASSIGN(s.fps, o.number("fps", 30, 0.01, 10000));
  LEDGE_ASSIGN(double frames, o.number("frames", 0, 0, 1e12));
  s.frames = static_cast<int64_t>(frames);
  LEDGE_ASSIGN(s.drift_to, o.number("drift_to", 0, 0, 10000));
  if (o.has("drift_to") && s.drift_to < 0.01)
    return invalid_argument("synthetic source: drift_to must be a positive rate");
  LEDGE_ASSIGN(s.gain_to, o.number("gain_to", 1, 0, 100));
  LEDGE_ASSIGN(s.drift_after, o.number("drift_after", 5, 0, 1e9));
  s.images = o.text("images");
  if (o.has("size")) {
    const std::string size = o.text("size");
    const size_t x = size.find('x');
    int w = 0, h = 0;
    if (x == std::string::npos || std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2 || w < 1 ||
        h < 1 || w > 4096 || h > 4096)
      return invalid_argument("synthetic source: size must be WxH (1 to 4096), got '" + size + "'");
    s.width = w;
    s.height = h;
  }
  return s;
}

Expected<std::unique_ptr<SyntheticSource>> SyntheticSource::create(
    const SyntheticOptions& options) {
  std::unique_ptr<SyntheticSource> s(new SyntheticSource(options));
  if (!options.images.empty()) {
    LEDGE_ASSIGN(s->images_, read_idx(options.images));
    const Shape& shape = s->images_.shape();
    const bool gray = shape.size() == 3, rgb = shape.size() == 4 && shape[3] == 3;
    if (s->images_.dtype() != DType::kUInt8 || !(gray || rgb) || shape[0] < 1 || shape[1] < 1 ||
        shape[2] < 1)
      return invalid_argument("synthetic source: " + options.images +
                              ": expected uint8 pictures [N,H,W] or [N,H,W,3], got " +
                              shape_to_string(shape));
  }
  return s;
}

Image SyntheticSource::draw(int64_t index, double gain) const {
  Image img;
  const auto scaled = [gain](double v) {
    return static_cast<uint8_t>(std::clamp(v * gain + 0.5, 0.0, 255.0));
  };
  if (images_.numel() > 0) {
    const Shape& shape = images_.shape();
    img.height = shape[1];
    img.width = shape[2];
    img.channels = shape.size() == 4 ? 3 : 1;
    const size_t count = static_cast<size_t>(img.height * img.width * img.channels);
    const uint8_t* base = images_.data<uint8_t>() + static_cast<size_t>(index % shape[0]) * count;
    img.pixels.assign(base, base + count);
    if (gain != 1)
      for (uint8_t& p : img.pixels) p = scaled(p);
    return img;
  }
  // A diagonal colour gradient with a bright bar that moves one column per frame.
  img.height = options_.height;
  img.width = options_.width;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(img.height * img.width * 3));
  const int64_t bar = index % img.width;
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x) {
      uint8_t* p = &img.pixels[static_cast<size_t>((y * img.width + x) * 3)];
      const bool on_bar = x == bar;
      p[0] = scaled(on_bar ? 255 : 128.0 * x / img.width);
      p[1] = scaled(on_bar ? 255 : 128.0 * y / img.height);
      p[2] = scaled(on_bar ? 255 : 64);
    }
  return img;
}

Expected<std::optional<Image>> SyntheticSource::next() {
  if (options_.frames > 0 && index_ >= options_.frames) return std::optional<Image>();
  const bool drifted = pacer_.elapsed() >= options_.drift_after;
  pacer_.wait(drifted && options_.drift_to > 0 ? options_.drift_to : options_.fps);
  const double gain = drifted ? options_.gain_to : 1.0;
  return std::optional<Image>(draw(index_++, gain));
}

std::string SyntheticSource::describe() const {
  std::string d = "synthetic " + short_number(options_.fps) + " fps";
  if (options_.drift_to > 0)
    d += ", " + short_number(options_.drift_to) + " fps after " +
         short_number(options_.drift_after) + " s";
  if (!options_.images.empty()) d += ", images " + options_.images;
  return d;
}

}  // namespace ledge::stream
