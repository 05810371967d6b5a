// Calibration ranges (src/quant/calibrate.h) on distributions whose answer is known.
#include "quant/calibrate.h"

#include <gtest/gtest.h>

#include <random>

namespace ledge {
namespace {

TensorHistogram histogram_of(const std::vector<float>& v) {
  TensorHistogram h;
  h.observe_extremes(v.data(), static_cast<int64_t>(v.size()));
  h.observe(v.data(), static_cast<int64_t>(v.size()));
  return h;
}

// A standard normal sample plus one far outlier.
std::vector<float> normal_with_outlier(float outlier) {
  std::mt19937 rng(1);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<float> v(200000);
  for (float& x : v) x = n(rng);
  v.push_back(outlier);
  return v;
}

TEST(Calibrate, MinMaxKeepsTheExtremes) {
  const auto h = histogram_of({-0.5f, 0.25f, 3.f});
  const Range r = h.range(RangeMethod::kMinMax, 99.99, false);
  EXPECT_EQ(r.lo, -0.5f);
  EXPECT_EQ(r.hi, 3.f);
  // Zero is always inside, so it stays exact after quantization.
  const Range pos = histogram_of({1.f, 2.f}).range(RangeMethod::kMinMax, 99.99, false);
  EXPECT_EQ(pos.lo, 0.f);
  const Range zero = histogram_of({0.f, 0.f}).range(RangeMethod::kMinMax, 99.99, false);
  EXPECT_GT(zero.hi, zero.lo);
}

TEST(Calibrate, OtherMethodsClipARareOutlier) {
  const auto h = histogram_of(normal_with_outlier(60.f));
  EXPECT_EQ(h.range(RangeMethod::kMinMax, 99.99, false).hi, 60.f);
  for (RangeMethod m : {RangeMethod::kPercentile, RangeMethod::kEntropy, RangeMethod::kMse}) {
    const Range r = h.range(m, 99.9, false);
    SCOPED_TRACE(range_method_name(m));
    // Below the outlier, yet not clipping the bulk of a unit normal. (mse weighs the one
    // outlier's squared clipping error against everyone's rounding error and stops halfway.)
    EXPECT_LT(r.hi, m == RangeMethod::kMse ? 45.f : 15.f);
    EXPECT_GT(r.hi, 2.5f);
    EXPECT_LT(r.lo, -2.5f);
  }
  // The 99.9th percentile of |x| for a unit normal is about 3.29.
  EXPECT_NEAR(h.range(RangeMethod::kPercentile, 99.9, false).hi, 3.29, 0.1);
}

TEST(Calibrate, OneSidedDataKeepsZeroAsTheLowEnd) {
  std::vector<float> v;
  for (int i = 0; i < 10000; ++i) v.push_back(static_cast<float>(i % 100) / 10.f);
  const auto h = histogram_of(v);
  for (RangeMethod m :
       {RangeMethod::kMinMax, RangeMethod::kPercentile, RangeMethod::kEntropy, RangeMethod::kMse}) {
    const Range r = h.range(m, 99.99, true);
    SCOPED_TRACE(range_method_name(m));
    EXPECT_EQ(r.lo, 0.f);
    EXPECT_GT(r.hi, 8.f);  // a uniform distribution has nothing worth clipping
    EXPECT_LE(r.hi, 9.9f + 1e-3f);
  }
}

TEST(Calibrate, MethodNames) {
  for (const char* name : {"minmax", "percentile", "entropy", "mse"}) {
    auto m = parse_range_method(name);
    ASSERT_TRUE(m.ok());
    EXPECT_STREQ(range_method_name(*m), name);
  }
  EXPECT_FALSE(parse_range_method("kl").ok());
}

}  // namespace
}  // namespace ledge
