// Ed25519 keys and key files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "bundle_test_util.h"
#include "deploy/sha256.h"

namespace ledge::deploy {
namespace {

using testing::TempDir;

TEST(Keys, SignaturesVerifyOnlyForTheSameKeyAndBytes) {
  KeyPair k = testing::new_key(), other = testing::new_key();
  const Signature sig = sign(k.secret, "hello");
  EXPECT_TRUE(verify_signature(k.public_key, "hello", sig));
  EXPECT_FALSE(verify_signature(k.public_key, "hellO", sig));
  EXPECT_FALSE(verify_signature(other.public_key, "hello", sig));
  EXPECT_EQ(k.public_key.id().size(), 16u);
  EXPECT_NE(k.public_key.id(), other.public_key.id());
  EXPECT_EQ(k.public_key.id(), sha256_hex(k.public_key.bytes.data(), 32).substr(0, 16));
}

TEST(Keys, KeyFilesRoundTripWithAPrivateSecret) {
  TempDir dir;
  KeyPair k = testing::new_key();
  const std::string name = dir.file("release");
  ASSERT_TRUE(write_key_pair(k, name));
  struct stat st;
  ASSERT_EQ(::stat((name + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pub = read_public_key(name + ".pub");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, k.public_key);
  auto sec = read_secret_key(name + ".key");
  ASSERT_TRUE(sec.ok());
  EXPECT_TRUE(verify_signature(k.public_key, "x", sign(*sec, "x")));
  // A second keygen must not destroy the first key.
  EXPECT_FALSE(write_key_pair(testing::new_key(), name).ok());
  EXPECT_FALSE(read_public_key(name + ".key").ok());  // a secret is not a public key
  EXPECT_FALSE(read_secret_key(name + ".pub").ok());
}

}  // namespace
}  // namespace ledge::deploy
