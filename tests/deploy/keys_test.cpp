// Ed25519 keys, key files, delegations, manifests as JSON, targets, golden folders.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "bundle_test_util.h"
#include "core/tensor.h"
#include "deploy/golden_dir.h"
#include "deploy/manifest_json.h"
#include "deploy/sha256.h"
#include "deploy/target.h"
#include "io/npy.h"

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

TEST(Delegation, SignChecksThresholdAndRevocation) {
  testing::Fleet fleet;
  Delegation d = fleet.delegation(1, 3);
  EXPECT_FALSE(sign_delegation(d, fleet.root.secret).ok());  // 3 of 2 keys
  d.threshold = 0;
  EXPECT_FALSE(sign_delegation(d, fleet.root.secret).ok());
  d.threshold = 1;
  d.revoked = {fleet.a.public_key.id()};
  EXPECT_FALSE(sign_delegation(d, fleet.root.secret).ok());  // a both listed and revoked
  d.revoked.clear();
  auto doc = sign_delegation(d, fleet.root.secret);
  ASSERT_TRUE(doc.ok());
  auto back = open_delegation(*doc, fleet.root.public_key);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->version, 1u);
  EXPECT_EQ(back->threshold, 1u);
  ASSERT_EQ(back->keys.size(), 2u);
  EXPECT_EQ(back->keys[1], fleet.b.public_key);
  EXPECT_EQ(rejection_of(open_delegation("{", fleet.root.public_key).error()),
            Rejection::kMalformed);
}

TEST(ManifestJson, RoundTripsAndRefusesOtherSpellings) {
  testing::Fleet fleet;
  Manifest m = fleet.spec().manifest;
  m.sha256 = {{"model.ledge", std::string(64, 'a')},
              {"case0.input.image.npy", std::string(64, 'b')},
              {"case0.output.logits.npy", std::string(64, 'c')}};
  m.latency_budget_ms = 12.5;
  const std::string text = manifest_to_json(m);
  auto back = manifest_from_json(text);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(manifest_to_json(*back), text);
  EXPECT_EQ(back->latency_budget_ms, 12.5);
  EXPECT_EQ(back->golden[0].inputs.at("image"), "case0.input.image.npy");
  EXPECT_FALSE(manifest_from_json(text + " ").ok());  // not canonical
  std::string no_model = text;
  no_model.replace(no_model.find("\"model\":\"model.ledge\""), 21, "\"model\":\"other.ledge\"");
  EXPECT_FALSE(manifest_from_json(no_model).ok());
}

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

TEST(GoldenDir, ReadsCasesByName) {
  TempDir dir;
  const Tensor t = Tensor::from_vector<float>({1, 2, 3}, {3});
  ASSERT_TRUE(write_npy(dir.file("case0.input.image.npy"), t));
  ASSERT_TRUE(write_npy(dir.file("case0.output.logits.npy"), t));
  ASSERT_TRUE(write_npy(dir.file("case1.input.image.npy"), t));
  ASSERT_TRUE(write_npy(dir.file("case1.output.logits.npy"), t));
  auto g = read_golden_dir(dir.path());
  ASSERT_TRUE(g.ok()) << g.error().message();
  ASSERT_EQ(g->cases.size(), 2u);
  EXPECT_EQ(g->cases[1].inputs.at("image"), "case1.input.image.npy");
  ASSERT_EQ(g->files.size(), 4u);
  EXPECT_EQ(g->files[0].name, "case0.input.image.npy");

  ASSERT_TRUE(write_npy(dir.file("case2.input.image.npy"), t));
  EXPECT_FALSE(read_golden_dir(dir.path()).ok());  // case 2 has no output
  std::filesystem::remove(dir.file("case2.input.image.npy"));
  ASSERT_TRUE(write_file(dir.file("case0.output.extra.npy"), "not npy", 7));
  EXPECT_FALSE(read_golden_dir(dir.path()).ok());
  std::filesystem::remove(dir.file("case0.output.extra.npy"));
  ASSERT_TRUE(write_npy(dir.file("notes.npy"), t));
  EXPECT_FALSE(read_golden_dir(dir.path()).ok());
}

TEST(Rejections, ReasonSurvivesContext) {
  const Error e = rejection_error(Rejection::kRollback, "version 3 <= 3").with_context("b.bundle");
  EXPECT_EQ(rejection_of(e), Rejection::kRollback);
  EXPECT_EQ(rejection_exit_code(Rejection::kRollback), 16);
  EXPECT_EQ(rejection_of(invalid_argument("expired: no")), Rejection::kNone);
}

}  // namespace
}  // namespace ledge::deploy
