// The drift monitor (src/stream/drift_monitor.h) on decisions with made-up capture times:
// deterministic, unlike the pipeline test that drives it with a real clock.
#include "stream/drift_monitor.h"

#include <gtest/gtest.h>

#include "stream/source_options.h"

namespace ledge::stream {
namespace {

// Decisions on every `every`-th frame of a camera at `fps`, from `start_s` for `seconds`.
struct FakeCamera {
  Clock::time_point origin = Clock::now();
  int64_t seq = 0;
  double t = 0;

  std::vector<DriftAlarm> run(DriftMonitor& m, double fps, double seconds, int every,
                              double brightness, int64_t top1) {
    std::vector<DriftAlarm> alarms;
    const double end = t + seconds;
    for (int i = 0; t < end; ++i, ++seq, t += 1 / fps) {
      if (i % every) continue;
      DecidedFrame d;
      d.seq = seq;
      d.captured =
          origin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t));
      d.brightness = brightness;
      d.decision = Decision{top1, 0.9f};
      for (const DriftAlarm& a : m.observe(d)) alarms.push_back(a);
    }
    return alarms;
  }
};

DriftOptions options() {
  DriftOptions o;
  o.baseline_s = 2;
  o.window_s = 1;
  return o;
}

TEST(DriftMonitor, SteadyInputRaisesNothing) {
  DriftMonitor m(options());
  FakeCamera cam;
  EXPECT_TRUE(cam.run(m, 30, 10, 3, 100, 1).empty());
  ASSERT_TRUE(m.has_baseline());
  EXPECT_NEAR(m.baseline().input_fps, 30, 0.01);
  EXPECT_EQ(m.baseline().brightness, 100);
}

TEST(DriftMonitor, RateMeasuredAcrossSkippedFrames) {
  DriftMonitor m(options());
  FakeCamera cam;
  // Deciding on every fourth frame only: the rate is still the camera's.
  EXPECT_TRUE(cam.run(m, 30, 3, 4, 100, 1).empty());
  const auto alarms = cam.run(m, 22, 3, 4, 100, 1);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].measure, "input_fps");
  EXPECT_NEAR(alarms[0].baseline, 30, 0.01);
  EXPECT_NEAR(alarms[0].current, 22, 0.5);
  // Raised once while it lasts, again after a return to normal and a new departure.
  EXPECT_TRUE(cam.run(m, 22, 3, 4, 100, 1).empty());
  EXPECT_TRUE(cam.run(m, 30, 3, 4, 100, 1).empty());
  EXPECT_EQ(cam.run(m, 40, 2, 4, 100, 1).size(), 1u);
}

TEST(DriftMonitor, BrightnessAndClassMix) {
  DriftMonitor m(options());
  FakeCamera cam;
  cam.run(m, 30, 3, 1, 100, 1);
  // 10 % darker: within the 20 % threshold.
  EXPECT_TRUE(cam.run(m, 30, 2, 1, 90, 1).empty());
  auto alarms = cam.run(m, 30, 2, 1, 60, 1);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].measure, "brightness");
  // Each window begins with the previous window's last decision (to measure the rate across
  // the boundary), so one frame of 31 is still the old brightness.
  EXPECT_NEAR(alarms[0].current, 60, 1.5);
  alarms = cam.run(m, 30, 2, 1, 60, 7);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].measure, "class_mix");
  EXPECT_NEAR(alarms[0].current, 1.0, 0.1);  // a whole new class: distance 1 (less that frame)
}

TEST(SourceOptions, TrailingKnownOptionsSplitFromThePath) {
  std::string path, options;
  split_path_and_options("/data/a,b/clip.mkv,fps=10", {"fps"}, path, options);
  EXPECT_EQ(path, "/data/a,b/clip.mkv");
  EXPECT_EQ(options, "fps=10");
  split_path_and_options("frames,x=1", {"fps", "loop"}, path, options);
  EXPECT_EQ(path, "frames,x=1");
  EXPECT_EQ(options, "");
  split_path_and_options("frames,loop=1,fps=5", {"fps", "loop"}, path, options);
  EXPECT_EQ(path, "frames");
  EXPECT_EQ(options, "loop=1,fps=5");
}

}  // namespace
}  // namespace ledge::stream
