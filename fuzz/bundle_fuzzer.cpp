// Feeds arbitrary bytes to the signed-bundle reader: the container, then the whole
// verification with a fixed root (fuzz/seeds/bundle_keys/root.pub, whose seed bundles
// scripts/fuzz.sh signs, so mutations reach the checks behind the signatures), then the
// manifest and delegation parsers directly on what the container holds, and on the raw bytes.
// Any crash, leak, hang or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "deploy/bundle.h"
#include "deploy/bundle_format.h"
#include "deploy/delegation.h"
#include "deploy/manifest_json.h"
#include "deploy/target.h"

namespace {

ledge::deploy::TrustRoot fuzz_root() {
  auto key = ledge::deploy::parse_public_key_json(
      R"({"type":"ed25519-public","public_key":)"
      R"("05511ad9e9c977f0511bf0704b2c2a5773f221e64f7e9e51af08a5118987c79c"})");
  return ledge::deploy::TrustRoot{key ? *key : ledge::deploy::PublicKey{}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ledge::deploy;
  static const TrustRoot root = fuzz_root();
  static const VerifyPolicy policy = [] {
    VerifyPolicy p;  // never expired, nothing installed, every feature, this runtime
    p.now = 0;
    p.cpu_features = known_cpu_features();
    return p;
  }();

  MemorySource src(data, size);
  (void)verify_bundle_source(src, root, policy);
  if (auto c = read_bundle_contents(src)) {
    (void)manifest_from_json(c->manifest);
    (void)read_delegation_unverified(c->delegation);
    (void)open_delegation(c->delegation, root.key);
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)manifest_from_json(text);
  (void)open_delegation(text, root.key);
  return 0;
}
