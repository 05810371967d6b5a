// verify_bundle: a real signed bundle verifies; each test breaks exactly one property and
// expects exactly its rejection.
#include <gtest/gtest.h>

#include "bundle_test_util.h"
#include "deploy/bundle_format.h"
#include "deploy/manifest_json.h"
#include "deploy/sha256.h"

namespace ledge::deploy {
namespace {

using testing::Fleet;
using testing::TempDir;
using testing::verify_spec;

class BundleVerify : public ::testing::Test {
 protected:
  Fleet fleet;
  TempDir dir;
  Rejection verify(const BundleSpec& spec, const VerifyPolicy& policy = Fleet::policy()) {
    return verify_spec(spec, fleet.trust(), policy, dir);
  }
};

TEST_F(BundleVerify, ValidBundleVerifiesWithItsManifest) {
  const std::string path = dir.file("ok.bundle");
  ASSERT_TRUE(create_bundle(fleet.spec(), path));
  auto m = verify_bundle(path, fleet.trust(), Fleet::policy());
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->name, "fashion");
  EXPECT_EQ(m->version, 2u);
  EXPECT_EQ(m->model, "model.ledge");
  EXPECT_EQ(m->delegation_version, 1u);
  EXPECT_EQ(m->signed_by, std::vector<std::string>{fleet.a.public_key.id()});
  ASSERT_EQ(m->golden.size(), 1u);
  EXPECT_EQ(m->golden[0].outputs.at("logits"), "case0.output.logits.npy");
  const std::string model = std::string(3000, 'm') + "end";
  EXPECT_EQ(m->sha256.at("model.ledge"), sha256_hex(model.data(), model.size()));
}

TEST_F(BundleVerify, TamperedFileIsRefused) {
  const std::string path = dir.file("t.bundle");
  ASSERT_TRUE(create_bundle(fleet.spec(), path));
  auto bytes = read_file(path);
  ASSERT_TRUE(bytes.ok());
  // The model's last bytes ("end") are inside the signed hash but outside the manifest.
  const size_t at = bytes->find("mend");
  ASSERT_NE(at, std::string::npos);
  (*bytes)[at + 1] ^= 1;
  ASSERT_TRUE(write_file(path, bytes->data(), bytes->size()));
  auto m = verify_bundle(path, fleet.trust(), Fleet::policy());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(rejection_of(m.error()), Rejection::kTampered) << m.error().message();
}

TEST_F(BundleVerify, ExtraFileNotInManifestIsRefused) {
  BundleSpec spec = fleet.spec();
  auto good = build_bundle(spec);
  ASSERT_TRUE(good.ok());
  MemorySource src(good->data(), good->size());
  auto c = read_bundle_contents(src);
  ASSERT_TRUE(c.ok());
  spec.files.push_back({"extra.bin", "smuggled"});
  auto bytes = serialize_bundle(c->manifest, c->signatures, c->delegation, spec.files);
  ASSERT_TRUE(bytes.ok());
  MemorySource bad(bytes->data(), bytes->size());
  auto m = verify_bundle_source(bad, fleet.trust(), Fleet::policy());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(rejection_of(m.error()), Rejection::kTampered) << m.error().message();
}

TEST_F(BundleVerify, ChangedManifestBreaksEverySignature) {
  auto good = build_bundle(fleet.spec());
  ASSERT_TRUE(good.ok());
  std::string bytes = *good;
  const size_t at = bytes.find("\"version\":2");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 10] = '9';  // same length, still canonical JSON: only the signatures tell
  MemorySource src(bytes.data(), bytes.size());
  auto m = verify_bundle_source(src, fleet.trust(), Fleet::policy());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(rejection_of(m.error()), Rejection::kThreshold) << m.error().message();
}

TEST_F(BundleVerify, UnknownKeyIsRefused) {
  BundleSpec spec = fleet.spec();
  spec.keys = {fleet.outsider.secret};
  spec.check_signers = false;
  EXPECT_EQ(verify(spec), Rejection::kUnknownKey);
}

TEST_F(BundleVerify, CreateRefusesKeysThatDevicesWouldRefuse) {
  BundleSpec spec = fleet.spec();
  spec.keys = {fleet.outsider.secret};
  EXPECT_FALSE(build_bundle(spec).ok());
  spec.keys = {fleet.a.secret};
  spec.delegation = fleet.signed_delegation(fleet.delegation(1, 2));
  EXPECT_FALSE(build_bundle(spec).ok());
}

TEST_F(BundleVerify, RevokedKeyIsRefusedEvenWithTheNewDelegation) {
  // Rotation: version 2 keeps b and outsider, revokes a.
  Delegation d2 = fleet.delegation(2, 1);
  d2.keys = {fleet.b.public_key, fleet.outsider.public_key};
  d2.revoked = {fleet.a.public_key.id()};
  BundleSpec spec = fleet.spec();
  spec.delegation = fleet.signed_delegation(d2);
  spec.check_signers = false;
  EXPECT_EQ(verify(spec), Rejection::kRevokedKey);
  spec.keys = {fleet.outsider.secret};  // a key the rotation added
  EXPECT_EQ(verify(spec), Rejection::kNone);
}

TEST_F(BundleVerify, OldDelegationStillListingARevokedKeyIsStale) {
  BundleSpec spec = fleet.spec();  // delegation version 1 lists a
  VerifyPolicy policy = Fleet::policy();
  policy.min_delegation_version = 2;  // the device already saw version 2, which revoked a
  EXPECT_EQ(verify(spec, policy), Rejection::kDelegationStale);
}

TEST_F(BundleVerify, ThresholdNeedsDistinctKeys) {
  BundleSpec spec = fleet.spec();
  spec.delegation = fleet.signed_delegation(fleet.delegation(1, 2));
  spec.check_signers = false;
  EXPECT_EQ(verify(spec), Rejection::kThreshold);
  spec.keys = {fleet.a.secret, fleet.a.secret};  // the same key twice counts once
  EXPECT_EQ(verify(spec), Rejection::kThreshold);
  spec.keys = {fleet.a.secret, fleet.b.secret};
  EXPECT_EQ(verify(spec), Rejection::kNone);
}

TEST_F(BundleVerify, ValidSignaturesMeetTheThresholdDespiteAnUnknownOne) {
  BundleSpec spec = fleet.spec();
  spec.keys = {fleet.outsider.secret, fleet.a.secret};
  spec.check_signers = false;
  EXPECT_EQ(verify(spec), Rejection::kNone);
}

TEST_F(BundleVerify, ExpiredBundleIsRefused) {
  BundleSpec spec = fleet.spec();
  spec.manifest.expires_at = Fleet::kNow;
  EXPECT_EQ(verify(spec), Rejection::kExpired);
}

TEST_F(BundleVerify, ExpiredDelegationIsRefused) {
  BundleSpec spec = fleet.spec();
  Delegation d = fleet.delegation(1, 1);
  d.expires_at = Fleet::kNow - 1;
  spec.delegation = fleet.signed_delegation(d);
  EXPECT_EQ(verify(spec), Rejection::kExpired);
}

TEST_F(BundleVerify, VersionNotNewerThanInstalledIsRollback) {
  BundleSpec spec = fleet.spec();
  VerifyPolicy policy = Fleet::policy();
  policy.installed_version = spec.manifest.version;
  EXPECT_EQ(verify(spec, policy), Rejection::kRollback);
  policy.installed_version = spec.manifest.version + 5;
  EXPECT_EQ(verify(spec, policy), Rejection::kRollback);
  policy.installed_version = spec.manifest.version - 1;
  EXPECT_EQ(verify(spec, policy), Rejection::kNone);
}

TEST_F(BundleVerify, MissingCpuFeatureIsTargetMismatch) {
  BundleSpec spec = fleet.spec();
  spec.manifest.cpu_features = {"avx2", "avx512f"};
  EXPECT_EQ(verify(spec), Rejection::kTargetMismatch);
}

TEST_F(BundleVerify, NewerRuntimeRequiredIsTargetMismatch) {
  BundleSpec spec = fleet.spec();
  spec.manifest.min_runtime_version = "0.10.0";  // numeric, not text, comparison: 10 > 1
  VerifyPolicy policy = Fleet::policy();
  policy.runtime_version = "0.9.0";
  EXPECT_EQ(verify(spec, policy), Rejection::kTargetMismatch);
  policy.runtime_version = "0.10.0";
  EXPECT_EQ(verify(spec, policy), Rejection::kNone);
}

TEST_F(BundleVerify, DelegationSignedByAnotherRootIsUntrusted) {
  BundleSpec spec = fleet.spec();
  auto other_root = testing::new_key();
  auto doc = sign_delegation(fleet.delegation(1, 1), other_root.secret);
  ASSERT_TRUE(doc.ok());
  spec.delegation = *doc;
  EXPECT_EQ(verify(spec), Rejection::kDelegationUntrusted);
}

TEST_F(BundleVerify, EditedDelegationIsUntrusted) {
  BundleSpec spec = fleet.spec();
  // Someone adds their own key to a root-signed delegation.
  std::string doc = spec.delegation;
  const std::string a_hex = to_hex(fleet.a.public_key.bytes.data(), 32);
  const std::string o_hex = to_hex(fleet.outsider.public_key.bytes.data(), 32);
  const size_t at = doc.find(a_hex);
  ASSERT_NE(at, std::string::npos);
  doc.replace(at, a_hex.size(), o_hex);
  const std::string a_id = fleet.a.public_key.id();
  doc.replace(doc.find(a_id), a_id.size(), fleet.outsider.public_key.id());
  spec.delegation = doc;
  spec.keys = {fleet.outsider.secret};
  spec.check_signers = false;
  EXPECT_EQ(verify(spec), Rejection::kDelegationUntrusted);
}

TEST_F(BundleVerify, ExtractWritesEveryFileAndChecksAgain) {
  const std::string path = dir.file("x.bundle");
  BundleSpec spec = fleet.spec();
  ASSERT_TRUE(create_bundle(spec, path));
  auto m = verify_bundle(path, fleet.trust(), Fleet::policy());
  ASSERT_TRUE(m.ok()) << m.error().message();
  const std::string out = dir.file("slot");
  ASSERT_TRUE(extract_bundle(path, *m, out));
  for (const auto& f : spec.files) {
    auto got = read_file(out + "/" + f.name);
    ASSERT_TRUE(got.ok()) << f.name;
    EXPECT_EQ(*got, f.data);
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(out), {}), 3);

  // The bundle changes between verify and extract: nothing appears under the model's name.
  auto bytes = read_file(path);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[bytes->find("mend") + 2] ^= 1;
  ASSERT_TRUE(write_file(path, bytes->data(), bytes->size()));
  const std::string out2 = dir.file("slot2");
  Status st = extract_bundle(path, *m, out2);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(rejection_of(st.error()), Rejection::kTampered) << st.error().message();
  EXPECT_FALSE(std::filesystem::exists(out2 + "/model.ledge"));
  EXPECT_FALSE(std::filesystem::exists(out2 + "/model.ledge.partial"));
}

TEST_F(BundleVerify, ExtractRefusesAManifestNamingAPathOutsideTheFolder) {
  const std::string path = dir.file("x.bundle");
  ASSERT_TRUE(create_bundle(fleet.spec(), path));
  Manifest m;  // not from verify_bundle: a caller's own, wrong, manifest
  m.sha256["../escaped"] = std::string(64, '0');
  Status st = extract_bundle(path, m, dir.file("slot"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(rejection_of(st.error()), Rejection::kMalformed);
  EXPECT_FALSE(std::filesystem::exists(dir.file("escaped")));
}

TEST_F(BundleVerify, MissingBundleIsAnIoErrorNotARejection) {
  auto m = verify_bundle(dir.file("none.bundle"), fleet.trust(), Fleet::policy());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), ErrorCode::kIo);
  EXPECT_EQ(rejection_of(m.error()), Rejection::kNone);
}

}  // namespace
}  // namespace ledge::deploy
