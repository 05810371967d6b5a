#include "deploy/device_metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../common/temp_dir.h"

namespace ledge::deploy {
namespace {

using ledge::testing::TempDir;

void write_zone(const TempDir& dir, const std::string& zone, const std::string& temp) {
  std::ofstream(dir.with_folders(zone + "/temp")) << temp;
}

TEST(DeviceMetrics, HottestThermalZoneInCelsius) {
  TempDir dir;
  write_zone(dir, "thermal_zone0", "45000\n");
  write_zone(dir, "thermal_zone1", "61250\n");
  write_zone(dir, "thermal_zone2", "garbage");  // skipped, not an error
  write_zone(dir, "cooling_device0", "99000");  // not a thermal zone
  auto t = cpu_temperature_celsius(dir.path());
  ASSERT_TRUE(t.has_value());
  EXPECT_DOUBLE_EQ(*t, 61.25);
  const auto j = nlohmann::json::parse(device_metrics_event(dir.path()).payload);
  EXPECT_DOUBLE_EQ(j["cpu_temp_c"].get<double>(), 61.3);
}

TEST(DeviceMetrics, NoThermalZonesMeansTheFieldIsOmitted) {
  TempDir dir;
  EXPECT_FALSE(cpu_temperature_celsius(dir.path()).has_value());
  EXPECT_FALSE(cpu_temperature_celsius(dir.file("missing")).has_value());
  const Event e = device_metrics_event(dir.file("missing"));
  EXPECT_EQ(e.kind, "device_metrics");
  EXPECT_EQ(e.payload, "{}");
}

TEST(DeviceMetrics, InferenceSummaryPercentilesAndThroughput) {
  std::vector<double> latencies;
  for (int i = 100; i >= 1; --i) latencies.push_back(i);  // unsorted on purpose
  const auto s = summarize_inferences(latencies, 4.0);
  EXPECT_EQ(s.count, 100);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_DOUBLE_EQ(s.throughput_per_second, 25);
  const auto few = summarize_inferences({3, 1, 2}, 0);
  EXPECT_DOUBLE_EQ(few.p50_ms, 2);
  EXPECT_DOUBLE_EQ(few.p99_ms, 3);
  EXPECT_DOUBLE_EQ(few.throughput_per_second, 0);
  const auto none = summarize_inferences({}, 1);
  EXPECT_EQ(none.count, 0);
  const auto j = nlohmann::json::parse(inference_summary_event(s, "m").payload);
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["count"], 100);
  EXPECT_DOUBLE_EQ(j["p99_ms"].get<double>(), 99);
}

}  // namespace
}  // namespace ledge::deploy
