// The delegation: the root key names the keys that may sign bundles, how many of them must
// sign (the threshold), and which keys are revoked. The idea is The Update Framework's: the
// root key stays offline and signs only this small document; day-to-day signing keys can be
// rotated or revoked by publishing a new delegation with a higher version.
//
// Document (JSON):
//   {"signed": {"type": "ledge-delegation", "version": 2, "expires_at": 1790000000,
//               "threshold": 2,
//               "keys": [{"key_id": "…", "public_key": "<64 hex>"}, …],
//               "revoked": ["<key id>", …]},
//    "signatures": [{"key_id": "<root key id>", "signature": "<128 hex>"}]}
// The root signs the canonical text of "signed": nlohmann::json::dump() without spaces, keys
// sorted. The reader re-serializes what it parsed and checks the signature over that, so what
// is checked is exactly what is used.
//
//   LEDGE_ASSIGN(std::string doc, sign_delegation(d, root_secret));
//   LEDGE_ASSIGN(Delegation d2, open_delegation(doc, root_public));   // kDelegationUntrusted...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "deploy/keys.h"

namespace ledge::deploy {

inline constexpr uint32_t kMaxDelegatedKeys = 64;

struct Delegation {
  uint64_t version = 0;    // higher replaces lower; devices refuse ones older than seen
  int64_t expires_at = 0;  // Unix seconds
  uint32_t threshold = 1;  // distinct valid signatures a bundle needs
  std::vector<PublicKey> keys;
  std::vector<std::string> revoked;  // key ids

  const PublicKey* find_key(const std::string& key_id) const;
  bool is_revoked(const std::string& key_id) const;
};

// Checks the delegation makes sense (threshold within 1..keys, no key both listed and
// revoked, no duplicates) and returns the signed document.
Expected<std::string> sign_delegation(const Delegation& d, const SecretKey& root);
// Parses a document and checks the root's signature. Errors are rejections (rejection.h):
// kMalformed for a document that does not parse, kDelegationUntrusted for a missing or bad
// root signature. Expiry and version are policy, checked by the caller.
Expected<Delegation> open_delegation(const std::string& document, const PublicKey& root);
// Parses without checking the root's signature: for tools that only look (bundle create
// checks its signers against it; devices always use open_delegation).
Expected<Delegation> read_delegation_unverified(const std::string& document);

}  // namespace ledge::deploy
