// Shared pieces of the bundle tests: a temporary folder and a fleet of keys with a valid,
// signed bundle that each test breaks in exactly one way.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "../common/temp_dir.h"
#include "core/file.h"
#include "deploy/bundle.h"
#include "deploy/delegation.h"
#include "deploy/rejection.h"

namespace ledge::deploy::testing {

using ledge::testing::TempDir;

inline KeyPair new_key() {
  auto k = generate_key_pair();
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : KeyPair{};
}

// Root, two delegated keys (a, b) and an outsider; "now" is 1000 for every check.
struct Fleet {
  KeyPair root = new_key(), a = new_key(), b = new_key(), outsider = new_key();
  static constexpr int64_t kNow = 1000;

  Delegation delegation(uint64_t version, uint32_t threshold) const {
    Delegation d;
    d.version = version;
    d.expires_at = kNow + 3600;
    d.threshold = threshold;
    d.keys = {a.public_key, b.public_key};
    return d;
  }
  std::string signed_delegation(const Delegation& d) const {
    auto doc = sign_delegation(d, root.secret);
    EXPECT_TRUE(doc.ok()) << doc.error().message();
    return doc.ok() ? *doc : std::string();
  }

  // A valid spec: version 2, signed by a, threshold 1, a model and one golden case.
  BundleSpec spec() const {
    BundleSpec s;
    s.manifest.name = "fashion";
    s.manifest.version = 2;
    s.manifest.expires_at = kNow + 600;
    s.manifest.model = "model.ledge";
    s.manifest.cpu_features = {"avx2"};
    s.manifest.min_runtime_version = "0.1.0";
    GoldenVector g;
    g.inputs["image"] = "case0.input.image.npy";
    g.outputs["logits"] = "case0.output.logits.npy";
    s.manifest.golden = {g};
    s.files = {{"model.ledge", std::string(3000, 'm') + "end"},
               {"case0.input.image.npy", "input bytes"},
               {"case0.output.logits.npy", "output bytes"}};
    s.keys = {a.secret};
    s.delegation = signed_delegation(delegation(1, 1));
    return s;
  }

  TrustRoot trust() const { return TrustRoot{root.public_key}; }

  static VerifyPolicy policy() {
    VerifyPolicy p;
    p.installed_version = 1;
    p.now = kNow;
    p.cpu_features = {"sse4_2", "avx2"};
    p.runtime_version = "0.1.0";
    p.min_delegation_version = 1;
    return p;
  }
};

// Writes the bundle and verifies it; the rejection (kNone when it verified).
inline Rejection verify_spec(const BundleSpec& spec, const TrustRoot& root,
                             const VerifyPolicy& policy, const TempDir& dir) {
  const std::string path = dir.file("b.bundle");
  Status st = create_bundle(spec, path);
  EXPECT_TRUE(st.ok()) << st.error().message();
  auto m = verify_bundle(path, root, policy);
  if (m.ok()) return Rejection::kNone;
  const Rejection r = rejection_of(m.error());
  EXPECT_NE(r, Rejection::kNone) << "not a rejection: " << m.error().message();
  return r;
}

}  // namespace ledge::deploy::testing
