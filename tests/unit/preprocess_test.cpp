// Preprocessing specs (src/data/preprocess.h): parsing, and the arithmetic against values
// worked out by hand.
#include "data/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ledge {
namespace {

// An image whose pixel (y, x, c) is f(y, x, c).
template <class F>
Image make_image(int64_t height, int64_t width, int64_t channels, F f) {
  Image img;
  img.height = height;
  img.width = width;
  img.channels = channels;
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int64_t c = 0; c < channels; ++c) img.pixels.push_back(static_cast<uint8_t>(f(y, x, c)));
  return img;
}

PreprocessSpec spec_of(const std::string& text) {
  auto s = parse_preprocess(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.error().message();
  return s.ok() ? *s : PreprocessSpec();
}

std::vector<float> run(const Image& img, const std::string& text, Shape expect_shape) {
  auto t = preprocess_image(img, spec_of(text));
  EXPECT_TRUE(t.ok()) << text << ": " << t.error().message();
  if (!t.ok()) return {};
  EXPECT_EQ(t->shape(), expect_shape) << text;
  return std::vector<float>(t->data<float>(), t->data<float>() + t->numel());
}

TEST(Preprocess, ParsesEveryKey) {
  auto s = parse_preprocess(
      "resize=256,crop=224x200,channels=bgr,layout=nhwc,scale=1/127.5,"
      "mean=0.485/0.456/0.406,std=0.229/0.224/0.225");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->resize, ResizeMode::kShorterSide);
  EXPECT_EQ(s->resize_width, 256);
  EXPECT_EQ(s->crop_width, 224);
  EXPECT_EQ(s->crop_height, 200);
  EXPECT_EQ(s->channels, ChannelOrder::kBgr);
  EXPECT_EQ(s->layout, SampleLayout::kNhwc);
  EXPECT_TRUE(s->has_scale);
  EXPECT_EQ(s->scale_num, 1.f);
  EXPECT_EQ(s->scale_den, 127.5f);
  EXPECT_EQ(s->mean, (std::vector<float>{0.485f, 0.456f, 0.406f}));
  EXPECT_EQ(s->std, (std::vector<float>{0.229f, 0.224f, 0.225f}));

  s = parse_preprocess("resize=320x240");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->resize, ResizeMode::kExact);
  EXPECT_EQ(s->resize_width, 320);
  EXPECT_EQ(s->resize_height, 240);

  s = parse_preprocess("");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->resize, ResizeMode::kNone);
  EXPECT_EQ(s->crop_width, 0);
  EXPECT_EQ(s->channels, ChannelOrder::kRgb);
  EXPECT_EQ(s->layout, SampleLayout::kNchw);
  EXPECT_FALSE(s->has_scale);
  EXPECT_EQ(s->normalize, Normalize::kNone);

  s = parse_preprocess("normalize=standardize");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->normalize, Normalize::kStandardize);
  s = parse_preprocess("normalize=grayworld");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->normalize, Normalize::kGrayWorld);
}

TEST(Preprocess, BadSpecsNameTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"zoom=2", "unknown key 'zoom'"},
      {"resize", "expected key=value"},
      {"resize=0", "resize"},
      {"resize=abc", "resize"},
      {"crop=224x", "crop"},
      {"crop=10x10x10", "crop"},
      {"channels=cmyk", "channels must be"},
      {"layout=chw", "layout must be"},
      {"scale=1/0", "divides by zero"},
      {"scale=x", "scale"},
      {"mean=0.5/0.5", "mean has 2 values for 3 channels"},
      {"channels=gray,std=0.2/0.2/0.2", "std has 3 values for 1 channels"},
      {"std=0", "std has a zero"},
      {"mean=0.5/nan/0.5", "mean"},
      {"resize=8,resize=9", "given twice"},
      {"normalize=minmax", "normalize must be standardize or grayworld"},
  };
  for (const auto& [text, expect] : cases) {
    auto s = parse_preprocess(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_NE(s.error().message().find(expect), std::string::npos)
        << text << ": " << s.error().message();
  }
}

TEST(Preprocess, DefaultsGiveChwOverScale) {
  const Image img =
      make_image(2, 3, 3, [](auto y, auto x, auto c) { return 100 * c + 10 * y + x; });
  const auto v = run(img, "", {3, 2, 3});
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x)
        EXPECT_EQ(v[static_cast<size_t>((c * 2 + y) * 3 + x)],
                  static_cast<float>(100 * c + 10 * y + x) / 255.f);
}

TEST(Preprocess, LayoutAndChannelOrder) {
  const Image img =
      make_image(2, 2, 3, [](auto y, auto x, auto c) { return 100 * c + 10 * y + x; });
  // nhwc, bgr, scale 1: element (y, x, c) is source channel 2 - c.
  const auto v = run(img, "layout=nhwc,channels=bgr,scale=1", {2, 2, 3});
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x)
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(v[static_cast<size_t>((y * 2 + x) * 3 + c)],
                  static_cast<float>(100 * (2 - c) + 10 * y + x));

  // RGB to gray: ITU-R 601 luma.
  const auto g = run(img, "channels=gray,scale=1", {1, 2, 2});
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x) {
      const double r = 10 * y + x, gr = 100 + r, b = 200 + r;
      EXPECT_NEAR(g[static_cast<size_t>(y * 2 + x)], 0.299 * r + 0.587 * gr + 0.114 * b, 1e-4);
    }

  // Gray to RGB: the one channel three times.
  const Image gray = make_image(1, 2, 1, [](auto, auto x, auto) { return 7 + x; });
  EXPECT_EQ(run(gray, "scale=1", {3, 1, 2}), (std::vector<float>{7, 8, 7, 8, 7, 8}));
}

TEST(Preprocess, MeanAndStdPerChannel) {
  const Image img = make_image(1, 1, 3, [](auto, auto, auto c) { return 51 * (c + 1); });
  const auto v = run(img, "mean=0.485/0.456/0.406,std=0.229/0.224/0.225", {3, 1, 1});
  // (51/255 - 0.485) / 0.229 = (0.2 - 0.485) / 0.229, and so on.
  EXPECT_NEAR(v[0], (0.2 - 0.485) / 0.229, 1e-5);
  EXPECT_NEAR(v[1], (0.4 - 0.456) / 0.224, 1e-5);
  EXPECT_NEAR(v[2], (0.6 - 0.406) / 0.225, 1e-5);
  // One value for every channel.
  EXPECT_EQ(run(img, "scale=1,mean=1,std=2", {3, 1, 1}), (std::vector<float>{25, 50.5f, 76}));
}

TEST(Preprocess, StandardizeGivesZeroMeanUnitDeviation) {
  // Values 0, 10, 20, 30 (scale 1): mean 15, population std sqrt(125).
  const Image img = make_image(2, 2, 1, [](auto y, auto x, auto) { return 20 * y + 10 * x; });
  const auto v = run(img, "channels=gray,scale=1,normalize=standardize", {1, 2, 2});
  const double sd = std::sqrt(125.0);
  EXPECT_NEAR(v[0], -15 / sd, 1e-5);
  EXPECT_NEAR(v[1], -5 / sd, 1e-5);
  EXPECT_NEAR(v[2], 5 / sd, 1e-5);
  EXPECT_NEAR(v[3], 15 / sd, 1e-5);
  // Brightness and contrast do not matter: 2x + 40 standardizes to the same values.
  const Image brighter =
      make_image(2, 2, 1, [](auto y, auto x, auto) { return 40 + 2 * (20 * y + 10 * x); });
  const auto w = run(brighter, "channels=gray,scale=1,normalize=standardize", {1, 2, 2});
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(w[i], v[i], 1e-5);
}

TEST(Preprocess, StandardizeOfAFlatImageUsesTheFloor) {
  // All values 0.5 after scaling: mean 0.5, std 0, divisor 1/sqrt(12): every value 0.
  const Image img = make_image(2, 2, 3, [](auto, auto, auto) { return 51; });
  const auto v = run(img, "scale=1/102,normalize=standardize", {3, 2, 2});
  for (float x : v) EXPECT_EQ(x, 0.f);
  // Over all channels together, not per channel: channel means 0, 1, 2 (scale 1/51).
  const Image steps = make_image(1, 3, 3, [](auto, auto, auto c) { return 51 * c; });
  const auto s = run(steps, "scale=1/51,normalize=standardize", {3, 1, 3});
  // Values 0,0,0,1,1,1,2,2,2: mean 1, std sqrt(2/3).
  const double sd = std::sqrt(2.0 / 3.0);
  EXPECT_NEAR(s[0], -1 / sd, 1e-5);
  EXPECT_NEAR(s[4], 0, 1e-5);
  EXPECT_NEAR(s[8], 1 / sd, 1e-5);
}

TEST(Preprocess, GrayWorldBalancesChannelMeans) {
  // A reddish cast: R twice G, B half of G. Channel means 120, 60, 30 (pixels vary in x).
  const Image img = make_image(1, 2, 3, [](auto, auto x, auto c) {
    const int g = 40 + 40 * static_cast<int>(x);  // 40, 80: mean 60
    return c == 0 ? 2 * g : c == 1 ? g : g / 2;
  });
  const auto v = run(img, "scale=1,normalize=grayworld", {3, 1, 2});
  // Target mean (120 + 60 + 30) / 3 = 70: gains 70/120, 70/60, 70/30.
  EXPECT_NEAR(v[0], 80 * 70.0 / 120, 1e-3);
  EXPECT_NEAR(v[1], 160 * 70.0 / 120, 1e-3);
  EXPECT_NEAR(v[2], 40 * 70.0 / 60, 1e-3);
  EXPECT_NEAR(v[3], 80 * 70.0 / 60, 1e-3);
  EXPECT_NEAR(v[4], 20 * 70.0 / 30, 1e-3);
  EXPECT_NEAR(v[5], 40 * 70.0 / 30, 1e-3);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR((v[2 * c] + v[2 * c + 1]) / 2, 70, 1e-3);
  // Gray images and the absent key are left as they are.
  const Image gray = make_image(1, 2, 1, [](auto, auto x, auto) { return 7 + x; });
  EXPECT_EQ(run(gray, "channels=gray,scale=1,normalize=grayworld", {1, 1, 2}),
            (std::vector<float>{7, 8}));
  EXPECT_EQ(run(img, "scale=1", {3, 1, 2}), (std::vector<float>{80, 160, 40, 80, 20, 40}));
}

TEST(Preprocess, BilinearResizeOfAGradient) {
  // [0, 10, 20, 30] to 8 wide: source x = (x + 0.5) / 2 - 0.5, clamped to [0, 3].
  const Image row = make_image(1, 4, 1, [](auto, auto x, auto) { return 10 * x; });
  EXPECT_EQ(run(row, "resize=8x1,channels=gray,scale=1", {1, 1, 8}),
            (std::vector<float>{0, 2.5f, 7.5f, 12.5f, 17.5f, 22.5f, 27.5f, 30}));
  // ... and to 2 wide: source x = 2x + 0.5, so 5 and 25.
  EXPECT_EQ(run(row, "resize=2x1,channels=gray,scale=1", {1, 1, 2}), (std::vector<float>{5, 25}));
  // In two dimensions a plane 10x + 40y is sampled exactly at (0.5, 0.5), (2.5, 0.5), ...
  const Image plane = make_image(4, 4, 1, [](auto y, auto x, auto) { return 10 * x + 40 * y; });
  EXPECT_EQ(run(plane, "resize=2x2,channels=gray,scale=1", {1, 2, 2}),
            (std::vector<float>{25, 45, 105, 125}));
}

TEST(Preprocess, ShorterSideKeepsTheAspectRatio) {
  const Image wide = make_image(4, 6, 1, [](auto, auto, auto) { return 0; });
  EXPECT_EQ(*preprocessed_shape(spec_of("resize=2"), wide.height, wide.width), (Shape{3, 2, 3}));
  // 5 x 3 to shorter side 2: 5 * 2 / 3 = 3.33, truncated to 3.
  EXPECT_EQ(*preprocessed_shape(spec_of("resize=2,layout=nhwc"), 5, 3), (Shape{3, 2, 3}));
  EXPECT_EQ(*preprocessed_shape(spec_of("resize=10,crop=4x8"), 20, 30), (Shape{3, 8, 4}));
}

TEST(Preprocess, CenterCropPicksTheMiddle) {
  const Image img = make_image(5, 8, 1, [](auto y, auto x, auto) { return 10 * y + x; });
  // Rows: (5 - 3) / 2 = 1. Columns: (8 - 3) / 2 = 2.5, rounded half to even: 2.
  EXPECT_EQ(run(img, "crop=3,scale=1", {3, 3, 3}),
            (std::vector<float>{12, 13, 14, 22, 23, 24, 32, 33, 34,  // channel 0
                                12, 13, 14, 22, 23, 24, 32, 33, 34,  // gray repeated
                                12, 13, 14, 22, 23, 24, 32, 33, 34}));
  // Columns of a 6-wide image: (6 - 3) / 2 = 1.5, rounded to 2.
  const Image six = make_image(1, 6, 1, [](auto, auto x, auto) { return x; });
  EXPECT_EQ(run(six, "crop=3x1,channels=gray,scale=1", {1, 1, 3}), (std::vector<float>{2, 3, 4}));
}

TEST(Preprocess, ResizeThenCrop) {
  // 8x8 plane 4x + 16y halved to 4x4 (source = 2i + 0.5), then the middle 2x2 (offset 1).
  const Image img = make_image(8, 8, 1, [](auto y, auto x, auto) { return 4 * x + 16 * y; });
  // Output (i, j) samples source (2(i+1) + 0.5, 2(j+1) + 0.5).
  EXPECT_EQ(run(img, "resize=4,crop=2,channels=gray,scale=1", {1, 2, 2}),
            (std::vector<float>{4 * 2.5f + 16 * 2.5f, 4 * 4.5f + 16 * 2.5f, 4 * 2.5f + 16 * 4.5f,
                                4 * 4.5f + 16 * 4.5f}));
}

TEST(Preprocess, CropLargerThanTheImageIsAnError) {
  const Image img = make_image(4, 6, 3, [](auto, auto, auto) { return 0; });
  auto t = preprocess_image(img, spec_of("crop=5"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("crop 5x5 is larger than the image (6x4)"), std::string::npos)
      << t.error().message();
  t = preprocess_image(img, spec_of("resize=3,crop=5x3"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("after resizing"), std::string::npos);
}

}  // namespace
}  // namespace ledge
