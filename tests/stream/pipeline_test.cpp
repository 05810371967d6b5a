// The latest-frame pipeline (src/stream/pipeline.h) with a synthetic 30 fps camera and a
// consumer slower than the camera: it must always decide on a fresh frame and account for
// every frame it skipped.
#include "stream/pipeline.h"

#include <gtest/gtest.h>

#include <thread>

#include "stream/synthetic_source.h"

namespace ledge::stream {
namespace {

// How late a thread may wake up on a busy, shared test machine (and under sanitizers) beyond
// what the pipeline itself guarantees. Without the latest-frame slot a 100 ms consumer of a
// 33 ms camera would see ages growing by ~67 ms per decision, far beyond this.
constexpr double kSchedulingSlackMs = 25;

std::unique_ptr<SyntheticSource> synthetic(const std::string& spec) {
  auto o = parse_synthetic_options(spec);
  EXPECT_TRUE(o.ok()) << o.error().message();
  auto s = SyntheticSource::create(*o);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return std::move(*s);
}

InferenceFn sleeping_inference(std::chrono::milliseconds how_long) {
  return [how_long](const Frame& f) -> Expected<Decision> {
    std::this_thread::sleep_for(how_long);
    return Decision{f.seq % 10, 0.9f};
  };
}

TEST(Pipeline, ASlowConsumerDecidesOnTheNewestFrame) {
  auto source = synthetic("fps=30");
  std::vector<DecidedFrame> decided;
  PipelineOptions o;
  o.duration_s = 1.5;
  o.on_decision = [&](const DecidedFrame& d) { decided.push_back(d); };
  auto r = run_pipeline(*source, sleeping_inference(std::chrono::milliseconds(100)), o);
  ASSERT_TRUE(r.ok()) << r.error().message();

  const double period_ms = 1000.0 / 30;
  ASSERT_GE(decided.size(), 8u);
  for (const DecidedFrame& d : decided)
    EXPECT_LE(d.age_ms, period_ms + kSchedulingSlackMs) << "frame " << d.seq;
  EXPECT_LE(r->age_ms.max, period_ms + kSchedulingSlackMs);
  EXPECT_GE(r->latency_ms.p50, 100);

  // Every frame is decided, skipped or still in the slot, and the skips are the gaps
  // between the sequence numbers decided on (plus those after the last decision).
  EXPECT_EQ(r->decided, static_cast<int64_t>(decided.size()));
  EXPECT_EQ(r->produced, r->decided + r->skipped + r->pending);
  int64_t gaps = 0, previous = -1;
  for (const DecidedFrame& d : decided) {
    EXPECT_GT(d.seq, previous);
    EXPECT_EQ(d.skipped_before, d.seq - previous - 1);
    gaps += d.skipped_before;
    previous = d.seq;
  }
  const int64_t after_last = r->produced - 1 - previous - r->pending;
  EXPECT_EQ(r->skipped, gaps + after_last);
  // A consumer at ~10 decisions a second on a 30 fps camera skips about two frames in three.
  EXPECT_GT(r->skipped, r->decided);
  EXPECT_NEAR(r->input_fps, 30, 4);
}

TEST(Pipeline, AFastConsumerSkipsNothingAtSteadyRate) {
  auto source = synthetic("fps=30,frames=20");
  auto r = run_pipeline(*source, sleeping_inference(std::chrono::milliseconds(1)), {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->produced, 20);
  EXPECT_EQ(r->decided + r->skipped + r->pending, 20);
  EXPECT_EQ(r->pending, 0);
  // Each frame waits at most for the one decision before it.
  EXPECT_LE(r->skipped, 2);
}

TEST(Pipeline, AnInferenceErrorEndsTheRunAndIsReturned) {
  auto source = synthetic("fps=100");
  int calls = 0;
  auto r = run_pipeline(*source,
                        [&](const Frame&) -> Expected<Decision> {
                          if (++calls == 3) return invalid_argument("model refused the frame");
                          return Decision{0, 1};
                        },
                        {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("model refused"), std::string::npos);
}

TEST(Pipeline, SummariesArriveInSoakMode) {
  auto source = synthetic("fps=50");
  PipelineOptions o;
  o.duration_s = 1.0;
  o.summary_every_s = 0.3;
  auto r = run_pipeline(*source, sleeping_inference(std::chrono::milliseconds(5)), o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_GE(r->summaries.size(), 2u);
  for (const WindowSummary& s : r->summaries) {
    EXPECT_NEAR(s.input_fps, 50, 12);
    EXPECT_GT(s.decided, 0);
    EXPECT_GT(s.latency_ms.p50, 4);
  }
}

TEST(Pipeline, DriftInRateBrightnessAndClassMixIsReported) {
  // 30 fps at full brightness for 1.4 s, then 22 fps at half brightness; the "model" answers
  // class 1 before and class 2 after the change.
  const auto run = [](const std::string& spec) {
    auto source = synthetic(spec);
    PipelineOptions o;
    o.duration_s = 3.2;
    o.drift_options.baseline_s = 1.0;
    o.drift_options.window_s = 0.6;
    auto r = run_pipeline(
        *source,
        [](const Frame& f) -> Expected<Decision> {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          return Decision{mean_brightness(f.image) > 50 ? 1 : 2, 0.9f};
        },
        o);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : StreamReport{};
  };
  const StreamReport drifted = run("fps=30,drift_to=22,gain_to=0.5,drift_after=1.4");
  std::map<std::string, DriftAlarm> alarms;
  for (const DriftAlarm& a : drifted.drift_alarms) alarms.emplace(a.measure, a);
  ASSERT_TRUE(alarms.count("input_fps"));
  EXPECT_NEAR(alarms["input_fps"].baseline, 30, 2);
  EXPECT_NEAR(alarms["input_fps"].current, 22, 2.5);
  EXPECT_GE(alarms["input_fps"].at_s, 1.4);
  ASSERT_TRUE(alarms.count("brightness"));
  EXPECT_NEAR(alarms["brightness"].current / alarms["brightness"].baseline, 0.5, 0.1);
  ASSERT_TRUE(alarms.count("class_mix"));

  // The same source without the change raises nothing.
  const StreamReport steady = run("fps=30");
  EXPECT_TRUE(steady.drift_alarms.empty()) << steady.drift_alarms.front().measure;
  ASSERT_TRUE(steady.baseline);
  EXPECT_NEAR(steady.baseline->input_fps, 30, 2);
}

}  // namespace
}  // namespace ledge::stream
