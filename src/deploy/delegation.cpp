#include "deploy/delegation.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "deploy/canonical_json.h"
#include "deploy/rejection.h"
#include "deploy/sha256.h"

namespace ledge::deploy {

namespace {

using nlohmann::json;

Error malformed(const std::string& what) {
  return rejection_error(Rejection::kMalformed, "delegation: " + what);
}

Status check(const Delegation& d) {
  if (d.keys.empty() || d.keys.size() > kMaxDelegatedKeys)
    return invalid_argument("a delegation lists 1.." + std::to_string(kMaxDelegatedKeys) + " keys");
  if (d.threshold < 1 || d.threshold > d.keys.size())
    return invalid_argument("threshold " + std::to_string(d.threshold) + " outside 1.." +
                            std::to_string(d.keys.size()) + " (the number of keys)");
  std::set<std::string> ids;
  for (const auto& k : d.keys) {
    if (!ids.insert(k.id()).second) return invalid_argument("key " + k.id() + " listed twice");
    if (d.is_revoked(k.id()))
      return invalid_argument("key " + k.id() + " is both delegated and revoked");
  }
  return {};
}

json signed_part(const Delegation& d) {
  json keys = json::array();
  for (const auto& k : d.keys)
    keys.push_back({{"key_id", k.id()}, {"public_key", to_hex(k.bytes.data(), k.bytes.size())}});
  return {{"type", "ledge-delegation"}, {"version", d.version},    {"expires_at", d.expires_at},
          {"threshold", d.threshold},   {"keys", std::move(keys)}, {"revoked", d.revoked}};
}

Expected<Delegation> parse_signed_part(const json& s) {
  if (!s.is_object() || s.value("type", json()) != "ledge-delegation")
    return malformed("not a ledge delegation");
  for (const char* f : {"version", "expires_at", "threshold"})
    if (!s.contains(f) || !s[f].is_number_integer()) return malformed(std::string("no ") + f);
  if (!s["version"].is_number_unsigned() || !s["threshold"].is_number_unsigned())
    return malformed("negative version or threshold");
  Delegation d;
  d.version = s["version"].get<uint64_t>();
  d.expires_at = s["expires_at"].get<int64_t>();
  const uint64_t threshold = s["threshold"].get<uint64_t>();
  if (threshold < 1 || threshold > kMaxDelegatedKeys) return malformed("threshold out of range");
  d.threshold = static_cast<uint32_t>(threshold);
  if (!s.contains("keys") || !s["keys"].is_array() || s["keys"].empty() ||
      s["keys"].size() > kMaxDelegatedKeys)
    return malformed("keys must be a list of 1.." + std::to_string(kMaxDelegatedKeys));
  for (const auto& k : s["keys"]) {
    PublicKey pk;
    if (!k.is_object() || !k.contains("public_key") || !k["public_key"].is_string() ||
        !from_hex(k["public_key"].get<std::string>(), pk.bytes.data(), pk.bytes.size()))
      return malformed("bad public key");
    if (!k.contains("key_id") || k["key_id"] != pk.id())
      return malformed("key id does not match its public key");
    d.keys.push_back(pk);
  }
  if (!s.contains("revoked") || !s["revoked"].is_array() || s["revoked"].size() > 1024)
    return malformed("revoked must be a list");
  for (const auto& r : s["revoked"]) {
    if (!r.is_string()) return malformed("revoked key ids are strings");
    d.revoked.push_back(r.get<std::string>());
  }
  if (d.threshold > d.keys.size()) return malformed("threshold above the number of keys");
  return d;
}

}  // namespace

const PublicKey* Delegation::find_key(const std::string& key_id) const {
  for (const auto& k : keys)
    if (k.id() == key_id) return &k;
  return nullptr;
}

bool Delegation::is_revoked(const std::string& key_id) const {
  return std::find(revoked.begin(), revoked.end(), key_id) != revoked.end();
}

Expected<std::string> sign_delegation(const Delegation& d, const SecretKey& root) {
  LEDGE_TRY(check(d));
  const json s = signed_part(d);
  const std::string canonical = canonical_json(s);
  const Signature sig = sign(root, canonical);
  json doc = {{"signed", s},
              {"signatures", json::array({{{"key_id", root.public_key().id()},
                                           {"signature", to_hex(sig.data(), sig.size())}}})}};
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Expected<Delegation> read_delegation_unverified(const std::string& document) {
  const json doc = json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("signed")) return malformed("not a delegation document");
  return parse_signed_part(doc["signed"]);
}

Expected<Delegation> open_delegation(const std::string& document, const PublicKey& root) {
  const json doc = json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("signed") || !doc.contains("signatures") ||
      !doc["signatures"].is_array())
    return malformed("not a signed delegation document");
  LEDGE_ASSIGN(Delegation d, parse_signed_part(doc["signed"]));
  const std::string canonical = canonical_json(doc["signed"]);
  const std::string root_id = root.id();
  for (const auto& s : doc["signatures"]) {
    Signature sig;
    if (!s.is_object() || s.value("key_id", json()) != root_id || !s.contains("signature") ||
        !s["signature"].is_string() ||
        !from_hex(s["signature"].get<std::string>(), sig.data(), sig.size()))
      continue;
    if (verify_signature(root, canonical, sig)) return d;
  }
  return rejection_error(Rejection::kDelegationUntrusted,
                         "delegation version " + std::to_string(d.version) +
                             " carries no valid signature by root key " + root_id);
}

}  // namespace ledge::deploy
