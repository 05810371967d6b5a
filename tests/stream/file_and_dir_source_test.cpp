// A video file (file:) and a folder of the same frames as PNGs (dir:) must give the same
// frames, hence the same decisions; both written here, the video with libavcodec and the
// pictures with libpng.
#include <gtest/gtest.h>

#include <random>

#include "../common/temp_dir.h"
#include "../unit/image_encode.h"
#include "stream/pipeline.h"
#include "stream/source_spec.h"
#include "video_writer.h"

namespace ledge::stream {
namespace {

std::vector<Image> random_frames(int count, int width, int height, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Image> frames;
  for (int i = 0; i < count; ++i) {
    Image img;
    img.width = width;
    img.height = height;
    img.channels = 3;
    img.pixels.resize(static_cast<size_t>(width * height * 3));
    for (uint8_t& p : img.pixels) p = static_cast<uint8_t>(rng() & 0xff);
    frames.push_back(std::move(img));
  }
  return frames;
}

// A "model" that depends on every pixel: a hash of the frame picks the class.
Decision hash_decision(const Image& img) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t p : img.pixels) h = (h ^ p) * 1099511628211ull;
  return Decision{static_cast<int64_t>(h % 1000), static_cast<float>(h % 97) / 97.f};
}

struct SourceRun {
  std::vector<std::pair<int64_t, Decision>> decisions;  // (seq, decision)
  std::vector<Image> images;
  StreamReport report;
};

SourceRun run_source(const std::string& spec) {
  SourceRun run;
  auto source = open_source(spec);
  EXPECT_TRUE(source.ok()) << spec << ": " << source.error().message();
  if (!source.ok()) return run;
  auto r = run_pipeline(**source,
                        [&](const Frame& f) -> Expected<Decision> {
                          run.images.push_back(f.image);
                          const Decision d = hash_decision(f.image);
                          run.decisions.emplace_back(f.seq, d);
                          return d;
                        },
                        {});
  EXPECT_TRUE(r.ok()) << spec << ": " << r.error().message();
  if (r.ok()) run.report = *r;
  return run;
}

TEST(FileAndDirSources, TheSameFramesGiveTheSameDecisions) {
  testing::TempDir tmp;
  const std::vector<Image> frames = random_frames(12, 40, 30, 7);
  test::write_lossless_video(tmp.file("clip.avi"), frames, 25);
  for (size_t i = 0; i < frames.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "frames/%03zu.png", i);
    test::save(tmp.with_folders(name),
               test::encode_png(40, 30, PNG_COLOR_TYPE_RGB, 8, frames[i].pixels));
  }

  const SourceRun file = run_source("file:" + tmp.file("clip.avi"));
  const SourceRun dir = run_source("dir:" + tmp.file("frames"));
  // Lock-step replay: every frame decided, none skipped.
  ASSERT_EQ(file.decisions.size(), frames.size());
  ASSERT_EQ(dir.decisions.size(), frames.size());
  EXPECT_EQ(file.report.skipped, 0);
  EXPECT_EQ(dir.report.skipped, 0);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(file.decisions[i].first, static_cast<int64_t>(i));
    EXPECT_EQ(dir.decisions[i].first, static_cast<int64_t>(i));
    EXPECT_EQ(file.decisions[i].second.top1, dir.decisions[i].second.top1) << "frame " << i;
    EXPECT_EQ(file.decisions[i].second.confidence, dir.decisions[i].second.confidence);
    // And both are the frames that were written, pixel for pixel.
    EXPECT_EQ(file.images[i].pixels, frames[i].pixels) << "frame " << i;
    EXPECT_EQ(dir.images[i].pixels, frames[i].pixels) << "frame " << i;
  }
}

TEST(FileAndDirSources, PacedReplayFollowsTheRate) {
  testing::TempDir tmp;
  const std::vector<Image> frames = random_frames(10, 16, 16, 3);
  test::write_lossless_video(tmp.file("clip.avi"), frames, 25);
  auto source = open_source("file:" + tmp.file("clip.avi") + ",fps=native");
  ASSERT_TRUE(source.ok()) << source.error().message();
  EXPECT_FALSE((*source)->lock_step());
  auto r =
      run_pipeline(**source, [](const Frame&) -> Expected<Decision> { return Decision{}; }, {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->produced, 10);
  // Ten frames at 25 fps take 9 periods: 0.36 s.
  EXPECT_GT(r->elapsed_s, 0.3);
  EXPECT_LT(r->elapsed_s, 1.5);
}

TEST(FileAndDirSources, BadSourcesAreClearErrors) {
  testing::TempDir tmp;
  test::save(tmp.file("not_a_video.avi"), {'h', 'e', 'l', 'l', 'o'});
  const std::pair<std::string, std::string> cases[] = {
      {"file:" + tmp.file("missing.mkv"), "missing.mkv"},
      {"file:" + tmp.file("not_a_video.avi"), "not_a_video.avi"},
      {"dir:" + tmp.file("nowhere"), "nowhere"},
      {"v4l2:/dev/video_ledge_absent", "cannot open"},
      {"synthetic:fps=abc", "fps"},
      {"synthetic:speed=2", "unknown option 'speed'"},
      {"camera:0", "is not v4l2:DEVICE"},
  };
  for (const auto& [spec, expect] : cases) {
    auto s = open_source(spec);
    ASSERT_FALSE(s.ok()) << spec;
    EXPECT_NE(s.error().message().find(expect), std::string::npos)
        << spec << ": " << s.error().message();
  }
}

}  // namespace
}  // namespace ledge::stream
