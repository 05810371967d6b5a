// Versions and CPU features.
#include "deploy/target.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/file.h"

namespace ledge::deploy {
namespace {

TEST(Target, VersionsCompareNumerically) {
  EXPECT_EQ(*compare_versions("0.10.0", "0.9.9"), 1);
  EXPECT_EQ(*compare_versions("1.0", "1.0.0"), 0);
  EXPECT_EQ(*compare_versions("0.1.0", "0.2"), -1);
  EXPECT_FALSE(compare_versions("1..0", "1").ok());
  EXPECT_FALSE(compare_versions("v1", "1").ok());
  for (const auto& f : detect_cpu_features()) {
    const auto& known = known_cpu_features();
    EXPECT_NE(std::find(known.begin(), known.end(), f), known.end()) << f;
  }
}

#if defined(__x86_64__) && defined(__linux__)
TEST(Target, DetectedFeaturesAgreeWithProcCpuinfo) {
  auto info = read_file("/proc/cpuinfo", size_t{16} << 20);
  if (!info) GTEST_SKIP() << "no /proc/cpuinfo";
  const size_t flags = info->find("\nflags");
  ASSERT_NE(flags, std::string::npos);
  const std::string line = info->substr(flags, info->find('\n', flags + 1) - flags) + " ";
  const auto have = detect_cpu_features();
  for (const auto& f : known_cpu_features()) {
    if (f == "asimd" || f == "asimddp") continue;
    const bool listed = line.find(" " + f + " ") != std::string::npos;
    const bool detected = std::find(have.begin(), have.end(), f) != have.end();
    EXPECT_EQ(listed, detected) << f;
  }
}
#endif

}  // namespace
}  // namespace ledge::deploy
