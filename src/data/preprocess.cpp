#include "data/preprocess.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace ledge {

namespace {

// Sizes a spec may ask for; beyond them a typo is likelier than a wish.
constexpr int64_t kMaxSpecSide = int64_t{1} << 16;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

Expected<double> parse_number(const std::string& key, const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v) || std::fabs(v) > 3.4e38)
    return invalid_argument("--preprocess: " + key + ": '" + text + "' is not a number");
  return v;
}

Expected<int64_t> parse_side(const std::string& key, const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < 1 || v > kMaxSpecSide)
    return invalid_argument("--preprocess: " + key + ": '" + text +
                            "' is not a size (an integer from 1 to " +
                            std::to_string(kMaxSpecSide) + ")");
  return v;
}

struct Size {
  int64_t width, height;
  bool square_given;  // "S" rather than "WxH"
};

Expected<Size> parse_size(const std::string& key, const std::string& text) {
  const size_t x = text.find('x');
  if (x == std::string::npos) {
    LEDGE_ASSIGN(int64_t s, parse_side(key, text));
    return Size{s, s, true};
  }
  LEDGE_ASSIGN(int64_t w, parse_side(key, text.substr(0, x)));
  LEDGE_ASSIGN(int64_t h, parse_side(key, text.substr(x + 1)));
  return Size{w, h, false};
}

Expected<std::vector<float>> parse_list(const std::string& key, const std::string& text) {
  std::vector<float> values;
  for (const std::string& part : split(text, '/')) {
    LEDGE_ASSIGN(double v, parse_number(key, part));
    values.push_back(static_cast<float>(v));
  }
  return values;
}

Status apply_key(PreprocessSpec& spec, const std::string& key, const std::string& value) {
  if (key == "resize") {
    LEDGE_ASSIGN(Size s, parse_size(key, value));
    spec.resize = s.square_given ? ResizeMode::kShorterSide : ResizeMode::kExact;
    spec.resize_width = s.width;
    spec.resize_height = s.height;
  } else if (key == "crop") {
    LEDGE_ASSIGN(Size s, parse_size(key, value));
    spec.crop_width = s.width;
    spec.crop_height = s.height;
  } else if (key == "channels") {
    if (value == "rgb")
      spec.channels = ChannelOrder::kRgb;
    else if (value == "bgr")
      spec.channels = ChannelOrder::kBgr;
    else if (value == "gray")
      spec.channels = ChannelOrder::kGray;
    else
      return invalid_argument("--preprocess: channels must be rgb, bgr or gray, got '" + value +
                              "'");
  } else if (key == "layout") {
    if (value == "nchw")
      spec.layout = SampleLayout::kNchw;
    else if (value == "nhwc")
      spec.layout = SampleLayout::kNhwc;
    else
      return invalid_argument("--preprocess: layout must be nchw or nhwc, got '" + value + "'");
  } else if (key == "scale") {
    const size_t slash = value.find('/');
    LEDGE_ASSIGN(double num, parse_number(key, value.substr(0, slash)));
    double den = 1;
    if (slash != std::string::npos) {
      LEDGE_ASSIGN(den, parse_number(key, value.substr(slash + 1)));
    }
    if (den == 0) return invalid_argument("--preprocess: scale divides by zero: '" + value + "'");
    spec.has_scale = true;
    spec.scale_num = static_cast<float>(num);
    spec.scale_den = static_cast<float>(den);
  } else if (key == "mean") {
    LEDGE_ASSIGN(spec.mean, parse_list(key, value));
  } else if (key == "std") {
    LEDGE_ASSIGN(spec.std, parse_list(key, value));
    for (float s : spec.std)
      if (s == 0) return invalid_argument("--preprocess: std has a zero: '" + value + "'");
  } else if (key == "normalize") {
    if (value == "standardize")
      spec.normalize = Normalize::kStandardize;
    else if (value == "grayworld")
      spec.normalize = Normalize::kGrayWorld;
    else
      return invalid_argument("--preprocess: normalize must be standardize or grayworld, got '" +
                              value + "'");
  } else {
    return invalid_argument(
        "--preprocess: unknown key '" + key +
        "' (known: resize, crop, channels, layout, scale, mean, std, normalize)");
  }
  return Status();
}

Status check_count(const PreprocessSpec& spec, const char* key, const std::vector<float>& v) {
  const auto n = static_cast<size_t>(spec.channel_count());
  if (v.empty() || v.size() == 1 || v.size() == n) return Status();
  return invalid_argument(std::string("--preprocess: ") + key + " has " + std::to_string(v.size()) +
                          " values for " + std::to_string(n) +
                          " channels (give one, or one per channel)");
}

// Where one output row or column samples the source: two neighbours and the weight of the
// second.
struct Tap {
  int64_t first, second;
  float weight;
};

// Taps for `count` outputs starting at resized index `offset`, when `in` source pixels
// become `resized` (half-pixel centres, clamped at the borders).
std::vector<Tap> taps(int64_t in, int64_t resized, int64_t offset, int64_t count) {
  std::vector<Tap> out(static_cast<size_t>(count));
  const double ratio = static_cast<double>(in) / static_cast<double>(resized);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t r = i + offset;
    if (in == resized) {
      out[static_cast<size_t>(i)] = Tap{r, r, 0.f};
      continue;
    }
    const double src = std::max(0.0, (static_cast<double>(r) + 0.5) * ratio - 0.5);
    const int64_t first = std::min(static_cast<int64_t>(src), in - 1);
    const int64_t second = std::min(first + 1, in - 1);
    const float weight = second == first ? 0.f : static_cast<float>(src - first);
    out[static_cast<size_t>(i)] = Tap{first, second, weight};
  }
  return out;
}

// torchvision's center crop offset: round((size - crop) / 2), halves to even.
int64_t crop_offset(int64_t size, int64_t crop) {
  const int64_t diff = size - crop;
  int64_t half = diff / 2;
  if (diff % 2 == 1 && half % 2 == 1) ++half;
  return half;
}

struct Resized {
  int64_t height, width;
};

Resized resized_size(const PreprocessSpec& spec, int64_t height, int64_t width) {
  switch (spec.resize) {
    case ResizeMode::kNone:
      return {height, width};
    case ResizeMode::kExact:
      return {spec.resize_height, spec.resize_width};
    case ResizeMode::kShorterSide:
      break;
  }
  const int64_t s = spec.resize_width;
  if (width <= height) return {height * s / width, s};
  return {s, width * s / height};
}

// Gray-world gains: per source channel, the mean of the channel means over the channel's own
// mean. Computed on the source pixels (not the resized ones) so that a crop does not change
// the balance of the whole picture.
std::vector<float> gray_world_gains(const Image& img) {
  std::vector<float> gains(static_cast<size_t>(img.channels), 1.f);
  if (img.channels < 2 || img.pixels.empty()) return gains;
  std::vector<double> sums(static_cast<size_t>(img.channels), 0.0);
  for (size_t i = 0; i < img.pixels.size(); ++i)
    sums[i % static_cast<size_t>(img.channels)] += img.pixels[i];
  double total = 0;
  for (double s : sums) total += s;
  const double target = total / static_cast<double>(img.channels);
  for (size_t c = 0; c < sums.size(); ++c)
    if (sums[c] > 0) gains[c] = static_cast<float>(target / sums[c]);
  return gains;
}

}  // namespace

Expected<PreprocessSpec> parse_preprocess(const std::string& text) {
  PreprocessSpec spec;
  if (text.empty()) return spec;
  std::set<std::string> seen;
  for (const std::string& item : split(text, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid_argument("--preprocess: expected key=value, got '" + item + "'");
    const std::string key = item.substr(0, eq);
    if (!seen.insert(key).second)
      return invalid_argument("--preprocess: '" + key + "' given twice");
    LEDGE_TRY(apply_key(spec, key, item.substr(eq + 1)));
  }
  LEDGE_TRY(check_count(spec, "mean", spec.mean));
  LEDGE_TRY(check_count(spec, "std", spec.std));
  return spec;
}

Expected<Shape> preprocessed_shape(const PreprocessSpec& spec, int64_t height, int64_t width) {
  if (height < 1 || width < 1)
    return invalid_argument("image of " + std::to_string(width) + "x" + std::to_string(height) +
                            " pixels");
  const Resized r = resized_size(spec, height, width);
  if (r.height < 1 || r.width < 1)
    return invalid_argument("a " + std::to_string(width) + "x" + std::to_string(height) +
                            " image resizes to nothing");
  int64_t h = r.height, w = r.width;
  if (spec.crop_width > 0) {
    if (spec.crop_width > w || spec.crop_height > h)
      return invalid_argument("crop " + std::to_string(spec.crop_width) + "x" +
                              std::to_string(spec.crop_height) + " is larger than the image (" +
                              std::to_string(w) + "x" + std::to_string(h) +
                              (spec.resize == ResizeMode::kNone ? "" : " after resizing") + ")");
    h = spec.crop_height;
    w = spec.crop_width;
  }
  const int64_t c = spec.channel_count();
  if (h > kMaxSpecSide || w > kMaxSpecSide ||
      static_cast<size_t>(h * w * c) * sizeof(float) > kMaxImageBytes)
    return resource_limit("a preprocessed image of " + std::to_string(w) + "x" + std::to_string(h) +
                          " pixels exceeds the limit of " + std::to_string(kMaxImageBytes) +
                          " bytes; crop it");
  return spec.layout == SampleLayout::kNchw ? Shape{c, h, w} : Shape{h, w, c};
}

Status preprocess_into(const Image& img, const PreprocessSpec& spec, std::span<float> out) {
  if ((img.channels != 1 && img.channels != 3) ||
      img.pixels.size() != static_cast<size_t>(img.height * img.width * img.channels))
    return internal_error("preprocess: malformed image");
  LEDGE_ASSIGN(Shape shape, preprocessed_shape(spec, img.height, img.width));
  if (out.size() != static_cast<size_t>(numel(shape)))
    return internal_error("preprocess: output of " + std::to_string(out.size()) +
                          " values for shape " + shape_to_string(shape));
  const Resized r = resized_size(spec, img.height, img.width);
  const bool nchw = spec.layout == SampleLayout::kNchw;
  const int64_t oc = spec.channel_count();
  const int64_t oh = nchw ? shape[1] : shape[0];
  const int64_t ow = nchw ? shape[2] : shape[1];
  const std::vector<Tap> rows = taps(img.height, r.height, crop_offset(r.height, oh), oh);
  const std::vector<Tap> cols = taps(img.width, r.width, crop_offset(r.width, ow), ow);

  // Output channel c = sum over source channels s of mix[c][s] * source s.
  float mix[3][3] = {};
  for (int64_t c = 0; c < oc; ++c) {
    if (img.channels == 1) {
      mix[c][0] = 1.f;
    } else if (spec.channels == ChannelOrder::kGray) {
      mix[c][0] = 0.299f, mix[c][1] = 0.587f, mix[c][2] = 0.114f;
    } else {
      mix[c][spec.channels == ChannelOrder::kBgr ? 2 - c : c] = 1.f;
    }
  }
  float mean[3], stddev[3];
  for (int64_t c = 0; c < oc; ++c) {
    const auto pick = [&](const std::vector<float>& v, float fallback) {
      return v.empty() ? fallback : v[v.size() == 1 ? 0 : static_cast<size_t>(c)];
    };
    mean[c] = pick(spec.mean, 0.f);
    stddev[c] = pick(spec.std, 1.f);
  }
  const std::vector<float> gains = spec.normalize == Normalize::kGrayWorld
                                       ? gray_world_gains(img)
                                       : std::vector<float>(static_cast<size_t>(img.channels), 1.f);

  for (int64_t y = 0; y < oh; ++y) {
    const Tap& ty = rows[static_cast<size_t>(y)];
    for (int64_t x = 0; x < ow; ++x) {
      const Tap& tx = cols[static_cast<size_t>(x)];
      float source[3];
      for (int64_t s = 0; s < img.channels; ++s) {
        const float top = (1.f - tx.weight) * static_cast<float>(img.at(ty.first, tx.first, s)) +
                          tx.weight * static_cast<float>(img.at(ty.first, tx.second, s));
        const float bottom =
            (1.f - tx.weight) * static_cast<float>(img.at(ty.second, tx.first, s)) +
            tx.weight * static_cast<float>(img.at(ty.second, tx.second, s));
        source[s] = ((1.f - ty.weight) * top + ty.weight * bottom) * gains[static_cast<size_t>(s)];
      }
      for (int64_t c = 0; c < oc; ++c) {
        float v = 0.f;
        for (int64_t s = 0; s < img.channels; ++s)
          if (mix[c][s] != 0.f) v += mix[c][s] * source[s];
        v = v * spec.scale_num / spec.scale_den;
        const int64_t at = nchw ? (c * oh + y) * ow + x : (y * ow + x) * oc + c;
        out[static_cast<size_t>(at)] = (v - mean[c]) / stddev[c];
      }
    }
  }
  if (spec.normalize == Normalize::kStandardize) standardize(out);
  return Status();
}

void standardize(std::span<float> values) {
  if (values.empty()) return;
  double sum = 0, squares = 0;
  for (float v : values) sum += v;
  const double n = static_cast<double>(values.size());
  const double mean = sum / n;
  for (float v : values) squares += (v - mean) * (v - mean);
  const double spread = std::max(std::sqrt(squares / n), 1.0 / std::sqrt(n));
  for (float& v : values) v = static_cast<float>((v - mean) / spread);
}

Expected<Tensor> preprocess_image(const Image& img, const PreprocessSpec& spec) {
  LEDGE_ASSIGN(Shape shape, preprocessed_shape(spec, img.height, img.width));
  LEDGE_ASSIGN(Tensor t, Tensor::make(DType::kFloat32, shape));
  LEDGE_TRY(preprocess_into(img, spec, t.span<float>()));
  return t;
}

}  // namespace ledge
