#include "io/idx.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/file.h"

#define ZLIB_CONST  // next_in is const
#include <zlib.h>

namespace ledge {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("ledge_idx_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// A little [3,2,4] uint8 "image set" with distinct values.
Tensor small_images() {
  std::vector<uint8_t> v(24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 11);
  return Tensor::from_vector(v, {3, 2, 4});
}

// The header of an IDX file: magic, type code, rank, big-endian dims.
std::string header(unsigned char type, const std::vector<uint32_t>& dims) {
  std::string h = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) h += static_cast<char>((d >> shift) & 0xff);
  return h;
}

Expected<Tensor> parse(const std::string& bytes) { return parse_idx(bytes.data(), bytes.size()); }

// Any bytes, gzip-compressed (so tests can compress malformed files too).
std::string gzip(const std::string& raw) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, raw.size()), '\0');
  zs.next_in = reinterpret_cast<const Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class IdxRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(IdxRoundTrip, WritesAndReadsUInt8Images) {
  const bool gzip = GetParam();
  const std::string path = temp_path(gzip ? "images.idx3.gz" : "images.idx3");
  const Tensor images = small_images();
  ASSERT_TRUE(write_idx(path, images, gzip).ok());

  auto bytes = read_file(path);
  ASSERT_TRUE(bytes.ok());
  if (gzip) {
    ASSERT_GE(bytes->size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>((*bytes)[0]), 0x1f);  // gzip magic
  } else {
    // Exactly the documented layout: header, then the bytes in C order.
    EXPECT_EQ(bytes->substr(0, 16), header(0x08, {3, 2, 4}));
    EXPECT_EQ(bytes->size(), 16u + 24u);
  }

  auto t = read_idx(path);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->dtype(), DType::kUInt8);
  EXPECT_EQ(t->shape(), (Shape{3, 2, 4}));
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(t->data<uint8_t>()[i], images.data<uint8_t>()[i]);
  std::filesystem::remove(path);
}

TEST_P(IdxRoundTrip, WritesAndReadsLabelsAndWideTypes) {
  const bool gzip = GetParam();
  const Tensor labels = Tensor::from_vector(std::vector<uint8_t>{9, 0, 0, 3, 0, 2, 7}, {7});
  auto enc = encode_idx(labels, gzip);
  ASSERT_TRUE(enc.ok());
  auto t = parse(*enc);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->shape(), (Shape{7}));
  EXPECT_EQ(t->data<uint8_t>()[0], 9);
  EXPECT_EQ(t->data<uint8_t>()[6], 7);

  // Multi-byte types are big-endian in the file and native in memory.
  const Tensor ints = Tensor::from_vector(std::vector<int32_t>{1, -2, 0x01020304}, {3});
  auto ei = encode_idx(ints, gzip);
  ASSERT_TRUE(ei.ok());
  if (!gzip) {
    EXPECT_EQ(ei->substr(ei->size() - 4), std::string("\x01\x02\x03\x04", 4));
  }
  auto ti = parse(*ei);
  ASSERT_TRUE(ti.ok()) << ti.error().message();
  EXPECT_EQ(ti->dtype(), DType::kInt32);
  EXPECT_EQ(ti->data<int32_t>()[1], -2);
  EXPECT_EQ(ti->data<int32_t>()[2], 0x01020304);

  const Tensor f = Tensor::from_vector(std::vector<double>{0.5, -3.25}, {1, 2});
  auto ef = encode_idx(f, gzip);
  ASSERT_TRUE(ef.ok());
  auto tf = parse(*ef);
  ASSERT_TRUE(tf.ok()) << tf.error().message();
  EXPECT_EQ(tf->dtype(), DType::kFloat64);
  EXPECT_EQ(tf->shape(), (Shape{1, 2}));
  EXPECT_EQ(tf->data<double>()[1], -3.25);
}

TEST_P(IdxRoundTrip, RejectsEveryTruncation) {
  const bool gzip = GetParam();
  auto enc = encode_idx(small_images(), gzip);
  ASSERT_TRUE(enc.ok());
  // Cutting anywhere, header or data, compressed or not, is an error and never a crash.
  for (size_t n = 0; n < enc->size(); ++n) {
    auto t = parse(enc->substr(0, n));
    ASSERT_FALSE(t.ok()) << "accepted a file cut to " << n << " bytes";
    EXPECT_EQ(t.error().code(), ErrorCode::kInvalidArgument) << t.error().message();
  }
}

INSTANTIATE_TEST_SUITE_P(PlainAndGzip, IdxRoundTrip, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Gzip" : "Plain"; });

TEST(Idx, TruncatedDataNamesTheSizes) {
  std::string bytes = header(0x08, {10, 28, 28}) + std::string(100, '\x01');
  auto t = parse(bytes);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("truncated"), std::string::npos) << t.error().message();
  EXPECT_NE(t.error().message().find("7840"), std::string::npos) << t.error().message();
}

TEST(Idx, RejectsTrailingData) {
  auto t = parse(header(0x08, {2}) + "abc");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Idx, RejectsBadMagic) {
  std::string bytes = header(0x08, {2}) + "ab";
  bytes[1] = '\x01';
  auto t = parse(bytes);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("not an IDX file"), std::string::npos);
  auto npy = parse(std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_FALSE(npy.ok());
}

TEST(Idx, RejectsUnknownTypeCode) {
  auto t = parse(header(0x0A, {2}) + "ab");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("0x0a"), std::string::npos) << t.error().message();
}

TEST(Idx, RejectsAbsurdDimensionsWithoutAllocating) {
  // 2^32-1 cubed overflows int64: the product check, not the allocator, must catch it.
  auto overflow = parse(header(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu}));
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().code(), ErrorCode::kResourceLimit);

  // (2^32-1) x 65535 doubles fit int64 but are far beyond the tensor byte limit (2 PB).
  auto huge = parse(header(0x0E, {0xffffffffu, 0xffffu}) + "12345678");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code(), ErrorCode::kResourceLimit);

  // Within the limit, but the file cannot back the claim: an error about the data, after
  // reading only what is there.
  auto claim = parse(header(0x08, {60000, 28, 28}) + std::string(784, '\0'));
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.error().code(), ErrorCode::kInvalidArgument);

  // The same claim, gzip-compressed: the reader must not trust the header either.
  auto gz = parse(gzip(header(0x08, {60000, 28, 28}) + std::string(784, '\0')));
  ASSERT_FALSE(gz.ok());
  EXPECT_NE(gz.error().message().find("truncated"), std::string::npos) << gz.error().message();
}

TEST(Idx, RejectsCorruptGzip) {
  auto enc = encode_idx(small_images(), true);
  ASSERT_TRUE(enc.ok());
  std::string bad = *enc;
  bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x55);
  auto t = parse(bad);
  EXPECT_FALSE(t.ok());
  std::string garbage = "\x1f\x8b" + std::string(40, '\x42');
  EXPECT_FALSE(parse(garbage).ok());
}

TEST(Idx, ReadsConcatenatedGzipMembers) {
  // gzip -d decompresses "a.gz + b.gz" to "a + b"; so does the reader.
  auto enc = encode_idx(small_images(), false);
  ASSERT_TRUE(enc.ok());
  auto t = parse(gzip(enc->substr(0, 10)) + gzip(enc->substr(10)));
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(t->data<uint8_t>()[23], 23 * 11);
  // Garbage after the last member is an error, not silently ignored.
  EXPECT_FALSE(parse(gzip(*enc) + "junk").ok());
}

TEST(Idx, ReadFileErrors) {
  auto missing = read_idx(temp_path("does_not_exist.gz"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
}

TEST(Idx, RejectsWhatItCannotWrite) {
  const Tensor b = Tensor::from_vector(std::vector<uint8_t>{1}, {1});
  auto ok = encode_idx(b);
  EXPECT_TRUE(ok.ok());
  auto bools = Tensor::make(DType::kBool, {2});
  ASSERT_TRUE(bools.ok());
  auto e = encode_idx(*bools);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace ledge
