#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/half.h"
#include "core/tensor.h"
#include "io/npy.h"
#include "ops/helpers.h"

namespace ledge {
namespace {

TEST(Half, RoundTripsEveryHalfValue) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const uint16_t h = static_cast<uint16_t>(b);
    const float f = half_bits_to_float(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(half_bits_to_float(float_to_half_bits(f))));
      continue;
    }
    EXPECT_EQ(float_to_half_bits(f), h) << "bits " << b;
  }
}

TEST(Half, RoundsToNearestEven) {
  EXPECT_EQ(float_to_half_bits(1.0f + 1.0f / 2048), 0x3c00);  // tie, rounds to even
  EXPECT_EQ(float_to_half_bits(1.0f + 3.0f / 2048), 0x3c02);  // tie, rounds up to even
  EXPECT_EQ(float_to_half_bits(65520.f), 0x7c00);             // overflows to infinity
  EXPECT_EQ(float_to_half_bits(1e-8f), 0x0000);               // underflows to zero
}

TEST(BFloat16, RoundsToNearestEven) {
  EXPECT_EQ(BFloat16(1.0f).bits, 0x3f80);
  EXPECT_FLOAT_EQ(static_cast<float>(BFloat16(3.140625f)), 3.140625f);
}

TEST(Tensor, RejectsAbsurdShapes) {
  auto t = Tensor::make(DType::kFloat32, {1LL << 40, 1LL << 40});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), ErrorCode::kResourceLimit);
  auto neg = Tensor::make(DType::kFloat32, {-1});
  EXPECT_FALSE(neg.ok());
}

TEST(Shape, ParsesAndPrints) {
  auto s = parse_shape("1x3x224x224");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (Shape{1, 3, 224, 224}));
  EXPECT_EQ(shape_to_string(*s), "1x3x224x224");
  EXPECT_FALSE(parse_shape("1xx3").ok());
  EXPECT_FALSE(parse_shape("-1").ok());
}

TEST(Broadcast, FollowsNumpyRules) {
  auto s = broadcast_shapes({{2, 1, 4}, {3, 1}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (Shape{2, 3, 4}));
  EXPECT_FALSE(broadcast_shapes({{2, 3}, {4}}).ok());
}

TEST(Npy, RoundTripsEveryType) {
  const auto dir = std::filesystem::temp_directory_path() / "ledge_npy_test";
  std::filesystem::create_directories(dir);
  for (DType d : {DType::kFloat32, DType::kFloat64, DType::kInt8, DType::kUInt8, DType::kInt64,
                  DType::kBool, DType::kFloat16}) {
    auto t = Tensor::make(d, {2, 3});
    ASSERT_TRUE(t.ok());
    for (int64_t i = 0; i < 6; ++i) reinterpret_cast<uint8_t*>(t->raw())[i * dtype_size(d)] = i % 2;
    const std::string path = (dir / "t.npy").string();
    ASSERT_TRUE(write_npy(path, *t).ok());
    auto back = read_npy(path);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->dtype(), d);
    EXPECT_EQ(back->shape(), t->shape());
    EXPECT_EQ(std::memcmp(back->raw(), t->raw(), t->nbytes()), 0);
  }
}

TEST(Npy, RejectsTruncatedData) {
  auto t = Tensor::make(DType::kFloat32, {4});
  const auto path = (std::filesystem::temp_directory_path() / "ledge_trunc.npy").string();
  ASSERT_TRUE(write_npy(path, *t).ok());
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  auto back = read_npy(path);
  EXPECT_FALSE(back.ok());
}

}  // namespace
}  // namespace ledge
