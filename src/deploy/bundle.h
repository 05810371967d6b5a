// Signed model bundles: create on the workstation, verify and extract on the device.
//
//   // device side (the agent)
//   TrustRoot root{root_public_key};                       // shipped with the device image
//   VerifyPolicy policy = VerifyPolicy::for_this_device(installed_version, seen_delegation);
//   Expected<Manifest> m = verify_bundle("incoming.bundle", root, policy);
//   if (!m) report(rejection_of(m.error()));               // a stable reason (rejection.h)
//   LEDGE_TRY(extract_bundle("incoming.bundle", *m, "/data/slot_b"));
//
// verify_bundle reads the container (bundle_format.h), checks the delegation against the root
// key, counts distinct valid signatures over the manifest bytes against the threshold, and
// only then trusts the manifest: expiry, version, target, then every file's SHA-256. Each
// refusal is a Rejection. Files are streamed, never loaded whole.
//
// extract_bundle writes the files the manifest lists into a folder, hashing while it writes
// (the bundle may have changed since verify_bundle), fsyncs each file and the folder.
// All functions are thread-safe; they share no state.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "core/status.h"
#include "deploy/bundle_format.h"
#include "deploy/checkpoint.h"
#include "deploy/keys.h"
#include "deploy/manifest.h"
#include "deploy/target.h"

namespace ledge::deploy {

// The one key a device trusts without being told: the root of the delegation.
struct TrustRoot {
  PublicKey key;
};

// What this device accepts. The defaults are this device now: the clock at construction, the
// detected CPU features, this runtime's version; nothing installed, no delegation seen.
struct VerifyPolicy {
  uint64_t installed_version = 0;                          // the bundle's version must be greater
  int64_t now = static_cast<int64_t>(std::time(nullptr));  // bundle, delegation expire later
  std::vector<std::string> cpu_features = detect_cpu_features();  // target.h names
  std::string runtime_version = kRuntimeVersion;
  uint64_t min_delegation_version = 0;  // the highest delegation version already accepted

  static VerifyPolicy for_this_device(uint64_t installed_version, uint64_t min_delegation_version);
};

// What create_bundle needs. The manifest's name, version, expiry, target, golden cases (by
// file name) and model file name are the caller's; create_bundle fills in the hashes.
struct BundleSpec {
  Manifest manifest;
  std::vector<BundleFile> files;  // the model and every golden file
  std::vector<SecretKey> keys;    // signing keys
  std::string delegation;         // the root-signed document (delegation.h)
  // Refuse to write a bundle whose signers are not delegated, revoked, or fewer than the
  // threshold (devices would refuse it). Off only to make such bundles on purpose (tests).
  bool check_signers = true;
};

// The container's bytes.
Expected<std::string> build_bundle(const BundleSpec& spec);
// build_bundle, written through a temporary file and a rename.
Status create_bundle(const BundleSpec& spec, const std::string& out_path);

Expected<Manifest> verify_bundle(const std::string& bundle_path, const TrustRoot& root,
                                 const VerifyPolicy& policy);
// The same checks on any byte source (the fuzzer uses memory).
Expected<Manifest> verify_bundle_source(const ByteSource& src, const TrustRoot& root,
                                        const VerifyPolicy& policy);

// `checkpoint` is called before every file write, fsync and rename (fault-injection tests).
Status extract_bundle(const std::string& bundle_path, const Manifest& m, const std::string& dir,
                      const Checkpoint& checkpoint = {});

}  // namespace ledge::deploy
