// The container reader on broken files: every truncation, bad lengths, bad names, trailing
// bytes. Each must be a clean kMalformed rejection.
#include "deploy/bundle_format.h"

#include <gtest/gtest.h>

#include <cstring>

#include "bundle_test_util.h"

namespace ledge::deploy {
namespace {

using testing::Fleet;

Rejection verify_bytes(const std::string& bytes, const Fleet& fleet) {
  MemorySource src(bytes.data(), bytes.size());
  auto m = verify_bundle_source(src, fleet.trust(), Fleet::policy());
  return m.ok() ? Rejection::kNone : rejection_of(m.error());
}

void put_u32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

class BundleFormat : public ::testing::Test {
 protected:
  Fleet fleet;
  std::string good;
  void SetUp() override {
    auto b = build_bundle(fleet.spec());
    ASSERT_TRUE(b.ok()) << b.error().message();
    good = *b;
    ASSERT_EQ(verify_bytes(good, fleet), Rejection::kNone);
  }
};

TEST_F(BundleFormat, EveryTruncationIsMalformed) {
  for (size_t n = 0; n < good.size(); ++n)
    ASSERT_EQ(verify_bytes(good.substr(0, n), fleet), Rejection::kMalformed) << "length " << n;
}

TEST_F(BundleFormat, TrailingBytesAreMalformed) {
  EXPECT_EQ(verify_bytes(good + "x", fleet), Rejection::kMalformed);
}

TEST_F(BundleFormat, BadMagicAndFormatVersion) {
  std::string b = good;
  b[0] = 'X';
  EXPECT_EQ(verify_bytes(b, fleet), Rejection::kMalformed);
  b = good;
  put_u32(b, 8, 2);
  EXPECT_EQ(verify_bytes(b, fleet), Rejection::kMalformed);
}

TEST_F(BundleFormat, LengthsBeyondLimitsOrTheFileAreMalformed) {
  for (uint32_t len : {0u, kMaxManifestBytes + 1, 0xffffffffu}) {
    std::string b = good;
    put_u32(b, 12, len);
    EXPECT_EQ(verify_bytes(b, fleet), Rejection::kMalformed) << len;
  }
  // The signature count sits right after the manifest.
  uint32_t manifest_len = 0;
  std::memcpy(&manifest_len, good.data() + 12, 4);
  for (uint32_t count : {0u, kMaxSignatures + 1, 2u}) {
    std::string b = good;
    put_u32(b, 16 + manifest_len, count);
    EXPECT_EQ(verify_bytes(b, fleet), Rejection::kMalformed) << count;
  }
}

TEST_F(BundleFormat, UnsafeFileNamesAreRefused) {
  EXPECT_FALSE(safe_file_name("../etc/passwd"));
  EXPECT_FALSE(safe_file_name("a/b"));
  EXPECT_FALSE(safe_file_name(".hidden"));
  EXPECT_FALSE(safe_file_name(""));
  EXPECT_FALSE(safe_file_name(std::string(256, 'a')));
  EXPECT_TRUE(safe_file_name("case0.input.image.npy"));
  // A reader meets a traversal name written by hand: same length as "model.ledge".
  std::string b = good;
  const size_t at = b.rfind("model.ledge");
  ASSERT_NE(at, std::string::npos);
  b.replace(at, 11, "../../x.abc");
  EXPECT_EQ(verify_bytes(b, fleet), Rejection::kMalformed);
}

TEST_F(BundleFormat, WriterRefusesWhatReadersRefuse) {
  EXPECT_FALSE(serialize_bundle("{}", {}, "d", {{"f", "x"}}).ok());  // no signature
  SignatureRecord s{"0123456789abcdef", {}};
  EXPECT_FALSE(serialize_bundle("{}", {s}, "d", {{"../f", "x"}}).ok());
  EXPECT_FALSE(serialize_bundle("{}", {s}, "d", {{"f", "x"}, {"f", "y"}}).ok());
  EXPECT_TRUE(serialize_bundle("{}", {s}, "d", {{"f", "x"}}).ok());
}

TEST_F(BundleFormat, ReadsTheDocumentedLayout) {
  MemorySource src(good.data(), good.size());
  auto c = read_bundle_contents(src);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(good.substr(0, 8), "LEDGEBDL");
  EXPECT_EQ(c->manifest, good.substr(16, c->manifest.size()));
  ASSERT_EQ(c->signatures.size(), 1u);
  EXPECT_EQ(c->signatures[0].key_id, fleet.a.public_key.id());
  ASSERT_EQ(c->files.size(), 3u);
  EXPECT_EQ(c->files.back().offset + c->files.back().size, good.size());
  EXPECT_EQ(good.substr(c->files[0].offset, c->files[0].size), std::string(3000, 'm') + "end");
}

TEST(BundleFileSource, FileShorterThanItsHeaderSaysIsMalformed) {
  testing::TempDir dir;
  Fleet fleet;
  auto b = build_bundle(fleet.spec());
  ASSERT_TRUE(b.ok());
  const std::string path = dir.file("short.bundle");
  ASSERT_TRUE(write_file(path, b->data(), b->size() - 100));
  auto m = verify_bundle(path, fleet.trust(), Fleet::policy());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(rejection_of(m.error()), Rejection::kMalformed) << m.error().message();
}

}  // namespace
}  // namespace ledge::deploy
