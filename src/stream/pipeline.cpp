#include "stream/pipeline.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "deploy/device_metrics.h"
#include "stream/latest_slot.h"

namespace ledge::stream {

double mean_brightness(const Image& img) {
  if (img.pixels.empty()) return 0;
  uint64_t sum = 0;
  for (uint8_t p : img.pixels) sum += p;
  return static_cast<double>(sum) / static_cast<double>(img.pixels.size());
}

namespace {

std::optional<double> temperature(const PipelineOptions& o) {
  if (o.thermal_root.empty()) return std::nullopt;
  return deploy::cpu_temperature_celsius(o.thermal_root);
}

// The capture thread: reads the source into the slot until told to stop or the source ends.
class Producer {
 public:
  Producer(FrameSource& source, LatestSlot& slot) : source_(source), slot_(slot) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Producer() { stop_and_join(); }
  void stop_and_join() {
    stop_.store(true);
    slot_.close();
    if (thread_.joinable()) thread_.join();
  }
  // The source's error, if it failed; read after stop_and_join().
  const std::optional<Error>& error() const { return error_; }

 private:
  void loop() {
    int64_t seq = 0;
    while (!stop_.load()) {
      Expected<std::optional<Image>> img = source_.next();
      if (!img) {
        error_ = img.error();
        break;
      }
      if (!*img) break;
      Frame f{std::move(**img), seq++, Clock::now()};
      if (source_.lock_step()) {
        if (!slot_.publish_when_taken(std::move(f))) break;
      } else if (!slot_.publish(std::move(f))) {
        break;
      }
    }
    slot_.close();  // the consumer drains what is left, then sees the end
  }

  FrameSource& source_;
  LatestSlot& slot_;
  std::atomic<bool> stop_{false};
  std::optional<Error> error_;
  std::thread thread_;
};

// Accumulates one summary window.
struct WindowAccumulator {
  Clock::time_point start;
  SlotCounts counts_at_start;
  std::vector<double> ages, latencies;
  double brightness = 0;
  int64_t decided = 0;

  WindowSummary finish(Clock::time_point now, const SlotCounts& counts, double at_s,
                       const PipelineOptions& o) const {
    WindowSummary s;
    const double dt = seconds_between(start, now);
    s.at_s = at_s;
    s.produced = counts.published - counts_at_start.published;
    s.skipped = counts.skipped - counts_at_start.skipped;
    s.decided = decided;
    s.input_fps = dt > 0 ? static_cast<double>(s.produced) / dt : 0;
    s.output_fps = dt > 0 ? static_cast<double>(decided) / dt : 0;
    s.age_ms = percentiles(ages);
    s.latency_ms = percentiles(latencies);
    s.brightness = decided > 0 ? brightness / static_cast<double>(decided) : 0;
    s.cpu_temp_c = temperature(o);
    return s;
  }
};

}  // namespace

Expected<StreamReport> run_pipeline(FrameSource& source, const InferenceFn& infer,
                                    const PipelineOptions& options) {
  StreamReport report;
  report.source = source.describe();
  LatestSlot slot;
  DriftMonitor drift(options.drift_options);
  std::vector<double> ages, latencies, totals;
  double brightness_sum = 0;
  std::optional<Error> failure;
  int64_t last_seq = -1;

  const Clock::time_point start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(options.duration_s > 0 ? options.duration_s : 0));
  WindowAccumulator window{start, {}, {}, {}, 0, 0};
  Producer producer(source, slot);

  // A timer that closes the slot at the deadline, so a consumer waiting for a frame from a
  // stalled source still stops on time.
  std::mutex timer_mutex;
  std::condition_variable timer_cv;
  bool finished = false;
  std::thread timer;
  if (options.duration_s > 0 || options.stop) {
    timer = std::thread([&] {
      std::unique_lock<std::mutex> lock(timer_mutex);
      while (!finished) {
        if (options.duration_s > 0 && Clock::now() >= deadline) break;
        if (options.stop && options.stop->load()) break;
        timer_cv.wait_for(lock, std::chrono::milliseconds(20));
      }
      slot.close();
    });
  }

  while (true) {
    if (options.stop && options.stop->load()) break;
    if (options.duration_s > 0 && Clock::now() >= deadline) break;
    std::optional<Frame> frame = slot.take();
    if (!frame) break;
    DecidedFrame d;
    d.seq = frame->seq;
    d.captured = frame->captured;
    d.picked = Clock::now();
    Expected<Decision> decision = infer(*frame);
    d.decided = Clock::now();
    if (!decision) {
      failure = decision.error();
      break;
    }
    d.decision = *decision;
    d.age_ms = 1000 * seconds_between(d.captured, d.picked);
    d.latency_ms = 1000 * seconds_between(d.picked, d.decided);
    d.skipped_before = d.seq - last_seq - 1;
    d.brightness = mean_brightness(frame->image);
    last_seq = d.seq;
    ++report.decided;
    ages.push_back(d.age_ms);
    latencies.push_back(d.latency_ms);
    totals.push_back(1000 * seconds_between(d.captured, d.decided));
    brightness_sum += d.brightness;
    window.ages.push_back(d.age_ms);
    window.latencies.push_back(d.latency_ms);
    window.brightness += d.brightness;
    ++window.decided;
    if (options.on_decision) options.on_decision(d);
    if (options.drift) {
      for (const DriftAlarm& a : drift.observe(d)) {
        report.drift_alarms.push_back(a);
        if (options.on_drift) options.on_drift(a);
      }
    }
    if (options.summary_every_s > 0 &&
        seconds_between(window.start, d.decided) >= options.summary_every_s) {
      const SlotCounts counts = slot.counts();
      WindowSummary s =
          window.finish(d.decided, counts, seconds_between(start, d.decided), options);
      report.summaries.push_back(s);
      if (options.on_summary) options.on_summary(s);
      window = WindowAccumulator{d.decided, counts, {}, {}, 0, 0};
    }
    if (options.max_decisions > 0 && report.decided >= options.max_decisions) break;
  }

  const Clock::time_point end = Clock::now();
  producer.stop_and_join();
  if (timer.joinable()) {
    {
      std::lock_guard<std::mutex> lock(timer_mutex);
      finished = true;
    }
    timer_cv.notify_all();
    timer.join();
  }
  if (failure) return *failure;
  if (producer.error()) return *producer.error();

  const SlotCounts counts = slot.counts();
  report.produced = counts.published;
  report.skipped = counts.skipped;
  report.pending = counts.pending;
  report.elapsed_s = seconds_between(start, end);
  if (report.elapsed_s > 0) {
    report.input_fps = static_cast<double>(report.produced) / report.elapsed_s;
    report.output_fps = static_cast<double>(report.decided) / report.elapsed_s;
  }
  report.age_ms = percentiles(std::move(ages));
  report.latency_ms = percentiles(std::move(latencies));
  report.frame_to_decision_ms = percentiles(std::move(totals));
  report.mean_brightness =
      report.decided > 0 ? brightness_sum / static_cast<double>(report.decided) : 0;
  report.cpu_temp_c = temperature(options);
  if (drift.has_baseline()) report.baseline = drift.baseline();
  return report;
}

}  // namespace ledge::stream
