// PNG and JPEG decoding (src/data/image_decode.h): pixels as written, and errors, never
// crashes, on truncated, corrupt or oversized files.
#include "data/image_decode.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "data/preprocess.h"
#include "image_encode.h"

namespace ledge {
namespace {

namespace fs = std::filesystem;
using test::encode_jpeg;
using test::encode_png;

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() / ("ledge_image_test_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// A smooth picture (up to 16x16, values below 256): JPEG keeps it within a few levels.
std::vector<uint8_t> gradient(int width, int height, int channels) {
  std::vector<uint8_t> v;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        v.push_back(static_cast<uint8_t>(20 + 6 * x + 4 * y + 30 * c));
  return v;
}

Expected<Image> decode(const std::vector<uint8_t>& bytes) {
  return decode_image(bytes.data(), bytes.size());
}

TEST(ImageDecode, PngRgbAndGrayExactly) {
  const auto rgb = pattern(5 * 4 * 3, 1);
  auto img = decode(encode_png(5, 4, PNG_COLOR_TYPE_RGB, 8, rgb));
  ASSERT_TRUE(img.ok()) << img.error().message();
  EXPECT_EQ(img->width, 5);
  EXPECT_EQ(img->height, 4);
  EXPECT_EQ(img->channels, 3);
  EXPECT_EQ(img->pixels, rgb);

  const auto gray = pattern(3 * 7, 2);
  img = decode(encode_png(3, 7, PNG_COLOR_TYPE_GRAY, 8, gray));
  ASSERT_TRUE(img.ok()) << img.error().message();
  EXPECT_EQ(img->channels, 1);
  EXPECT_EQ(img->pixels, gray);
}

TEST(ImageDecode, PngAlphaIsDropped) {
  const auto rgba = pattern(4 * 2 * 4, 3);
  auto img = decode(encode_png(4, 2, PNG_COLOR_TYPE_RGBA, 8, rgba));
  ASSERT_TRUE(img.ok()) << img.error().message();
  ASSERT_EQ(img->channels, 3);
  for (size_t p = 0; p < 8; ++p)
    for (size_t c = 0; c < 3; ++c) EXPECT_EQ(img->pixels[p * 3 + c], rgba[p * 4 + c]);

  const auto ga = pattern(3 * 3 * 2, 4);
  img = decode(encode_png(3, 3, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga));
  ASSERT_TRUE(img.ok()) << img.error().message();
  ASSERT_EQ(img->channels, 1);
  for (size_t p = 0; p < 9; ++p) EXPECT_EQ(img->pixels[p], ga[p * 2]);
}

TEST(ImageDecode, PngPaletteInterlacedAndSixteenBit) {
  const std::vector<png_color> palette = {{10, 20, 30}, {200, 100, 0}, {7, 77, 177}};
  const std::vector<uint8_t> indices = {0, 1, 2, 1, 2, 0};
  auto img = decode(encode_png(3, 2, PNG_COLOR_TYPE_PALETTE, 8, indices, false, palette));
  ASSERT_TRUE(img.ok()) << img.error().message();
  ASSERT_EQ(img->channels, 3);
  for (size_t p = 0; p < indices.size(); ++p) {
    EXPECT_EQ(img->pixels[p * 3 + 0], palette[indices[p]].red);
    EXPECT_EQ(img->pixels[p * 3 + 1], palette[indices[p]].green);
    EXPECT_EQ(img->pixels[p * 3 + 2], palette[indices[p]].blue);
  }

  // Adam7 spreads pixels over seven passes; all must land where they belong.
  const auto rgb = pattern(11 * 9 * 3, 5);
  img = decode(encode_png(11, 9, PNG_COLOR_TYPE_RGB, 8, rgb, true));
  ASSERT_TRUE(img.ok()) << img.error().message();
  EXPECT_EQ(img->pixels, rgb);

  // 16-bit v * 257 is exactly v in 8 bits.
  const auto gray = pattern(4 * 3, 6);
  std::vector<uint8_t> wide;
  for (uint8_t v : gray) {
    const unsigned w = v * 257u;
    wide.push_back(static_cast<uint8_t>(w >> 8));
    wide.push_back(static_cast<uint8_t>(w & 0xff));
  }
  img = decode(encode_png(4, 3, PNG_COLOR_TYPE_GRAY, 16, wide));
  ASSERT_TRUE(img.ok()) << img.error().message();
  EXPECT_EQ(img->pixels, gray);
}

TEST(ImageDecode, JpegCloseToTheOriginal) {
  for (bool progressive : {false, true}) {
    for (int channels : {1, 3}) {
      const auto px = gradient(16, 12, channels);
      auto img = decode(encode_jpeg(16, 12, channels, px, 95, progressive));
      ASSERT_TRUE(img.ok()) << img.error().message();
      EXPECT_EQ(img->width, 16);
      EXPECT_EQ(img->height, 12);
      ASSERT_EQ(img->channels, channels);
      ASSERT_EQ(img->pixels.size(), px.size());
      int worst = 0;
      for (size_t i = 0; i < px.size(); ++i)
        worst = std::max(worst, std::abs(int{img->pixels[i]} - int{px[i]}));
      EXPECT_LE(worst, 6) << "progressive " << progressive << ", channels " << channels;
    }
  }
}

TEST(ImageDecode, TruncatedFilesAreErrorsNamingTheFile) {
  TempDir dir;
  const auto png = encode_png(16, 16, PNG_COLOR_TYPE_RGB, 8, pattern(16 * 16 * 3, 7));
  // Noise, so that most of the JPEG is scan data rather than tables.
  const auto jpeg = encode_jpeg(48, 48, 3, pattern(48 * 48 * 3, 10));
  for (size_t keep : {size_t{4}, size_t{20}, size_t{60}}) {
    for (const auto* bytes : {&png, &jpeg}) {
      const std::string path = dir.file(bytes == &png ? "cut.png" : "cut.jpg");
      const size_t n = std::min(keep, bytes->size() - 1);
      test::save(path, std::vector<uint8_t>(bytes->begin(), bytes->begin() + n));
      auto img = read_image(path);
      ASSERT_FALSE(img.ok()) << path << " cut to " << n << " bytes";
      EXPECT_EQ(img.error().message().rfind(path + ": ", 0), 0u) << img.error().message();
    }
  }
  // Cut within the pixel data: PNG's stream ends early, JPEG's scan ends early (libjpeg would
  // fill the rest with gray and call it a warning).
  for (const auto* bytes : {&png, &jpeg}) {
    const std::string path = dir.file(bytes == &png ? "half.png" : "half.jpg");
    test::save(path, std::vector<uint8_t>(bytes->begin(), bytes->begin() + bytes->size() * 3 / 4));
    auto img = read_image(path);
    ASSERT_FALSE(img.ok()) << path;
    EXPECT_EQ(img.error().message(),
              path + (bytes == &png ? ": corrupt PNG: the file ends early (truncated)"
                                    : ": corrupt JPEG: Premature end of JPEG file"));
  }
}

TEST(ImageDecode, CorruptPixelDataIsAnError) {
  auto png = encode_png(8, 8, PNG_COLOR_TYPE_RGB, 8, pattern(8 * 8 * 3, 8));
  png[png.size() - 20] ^= 0xff;  // inside IDAT: the chunk's CRC no longer matches
  auto img = decode(png);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.error().message().find("corrupt PNG"), std::string::npos) << img.error().message();
}

TEST(ImageDecode, HugeDimensionsAreRefusedBeforeAllocating) {
  // A PNG whose header claims 300000 x 300000 RGB pixels: 270 GB.
  // Length, type, data, and a CRC that fix_png_crcs fills in.
  auto chunk = [](const std::string& type, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> c = {0, 0, 0, static_cast<uint8_t>(data.size())};
    for (char t : type) c.push_back(static_cast<uint8_t>(t));
    for (uint8_t b : data) c.push_back(b);
    for (int i = 0; i < 4; ++i) c.push_back(0);
    return c;
  };
  // 300000 wide and high, 8-bit RGB.
  const std::vector<uint8_t> ihdr = {0x00, 0x04, 0x93, 0xe0, 0x00, 0x04, 0x93, 0xe0, 8, 2, 0, 0, 0};
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  for (const auto& c : {chunk("IHDR", ihdr), chunk("IDAT", {1, 2, 3}), chunk("IEND", {})})
    png.insert(png.end(), c.begin(), c.end());
  test::fix_png_crcs(png);
  auto img = decode(png);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.error().code(), ErrorCode::kResourceLimit) << img.error().message();

  // A JPEG whose frame header claims 60000 x 60000.
  auto jpeg = encode_jpeg(8, 8, 3, gradient(8, 8, 3));
  size_t sof = 2;
  while (sof + 9 < jpeg.size() && !(jpeg[sof] == 0xff && jpeg[sof + 1] == 0xc0)) ++sof;
  ASSERT_LT(sof + 9, jpeg.size());
  for (size_t at : {sof + 5, sof + 7}) jpeg[at] = 0xea, jpeg[at + 1] = 0x60;  // 60000
  img = decode(jpeg);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.error().code(), ErrorCode::kResourceLimit) << img.error().message();
}

TEST(ImageDecode, OtherFilesAreRefused) {
  TempDir dir;
  test::save(dir.file("text.png"), {'h', 'e', 'l', 'l', 'o'});
  auto img = read_image(dir.file("text.png"));
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.error().message().find(dir.file("text.png") + ": not a PNG or JPEG"),
            std::string::npos)
      << img.error().message();
  test::save(dir.file("empty.jpg"), {});
  EXPECT_FALSE(read_image(dir.file("empty.jpg")).ok());
  EXPECT_FALSE(read_image(dir.file("missing.jpg")).ok());
  EXPECT_TRUE(has_image_extension("a/b.JPEG"));
  EXPECT_TRUE(has_image_extension("x.png"));
  EXPECT_FALSE(has_image_extension("x.npy"));
  EXPECT_FALSE(has_image_extension("png"));
}

// Random damage to valid files: every result is an image or an error, never a crash (run
// under ASan/UBSan too). PNGs get their checksums repaired, so damage reaches the inflater
// and the row filters instead of stopping at the CRC check.
TEST(ImageFuzz, RandomByteFlipsNeverCrash) {
  const auto png = encode_png(13, 9, PNG_COLOR_TYPE_RGB, 8, pattern(13 * 9 * 3, 9), true);
  const auto jpeg = encode_jpeg(16, 16, 3, gradient(16, 16, 3), 90, true);
  auto spec = parse_preprocess("resize=7,crop=5,channels=gray");
  ASSERT_TRUE(spec.ok());
  std::mt19937 rng(12345);
  int decoded = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    const bool is_png = round % 2 == 0;
    std::vector<uint8_t> bytes = is_png ? png : jpeg;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Past the signature, which would only make the file unrecognized.
      const size_t at = 4 + rng() % (bytes.size() - 4);
      bytes[at] = static_cast<uint8_t>(rng());
    }
    if (rng() % 4 == 0) bytes.erase(bytes.begin() + 4 + rng() % (bytes.size() - 4), bytes.end());
    if (is_png) test::fix_png_crcs(bytes);
    auto img = decode(bytes);
    if (!img.ok()) {
      EXPECT_FALSE(img.error().message().empty());
      ++refused;
      continue;
    }
    ++decoded;
    ASSERT_EQ(img->pixels.size(), static_cast<size_t>(img->width * img->height * img->channels));
    auto t = preprocess_image(*img, *spec);  // may refuse (too small to crop), must not crash
    (void)t;
  }
  // Both outcomes occur, or the loop tested little.
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace ledge
