// Ed25519 keys (libsodium): generation, key ids, detached signatures, key files.
//
//   LEDGE_ASSIGN(KeyPair pair, generate_key_pair());
//   LEDGE_TRY(write_key_pair(pair, "release"));        // release.key (0600), release.pub
//   Signature sig = sign(pair.secret, bytes);
//   bool ok = verify_signature(pair.public_key, bytes, sig);
//
// A key id is the first 16 hex digits of the SHA-256 of the 32 raw public-key bytes: short
// enough to print, long enough that two keys of one fleet never share one.
//
// Key files are small JSON objects:
//   NAME.pub  {"type":"ed25519-public","key_id":"…","public_key":"<64 hex>"}
//   NAME.key  {"type":"ed25519-secret","key_id":"…","secret_key":"<128 hex>"}   (mode 0600)
// All functions are thread-safe; keys are plain values.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace ledge::deploy {

struct PublicKey {
  std::array<uint8_t, 32> bytes{};
  std::string id() const;
  bool operator==(const PublicKey&) const = default;
};

struct SecretKey {
  std::array<uint8_t, 64> bytes{};  // libsodium's form: the seed, then the public key
  PublicKey public_key() const;
};

struct KeyPair {
  PublicKey public_key;
  SecretKey secret;
};

using Signature = std::array<uint8_t, 64>;

// Initializes libsodium once (idempotent, thread-safe); every function below calls it.
Status crypto_init();

Expected<KeyPair> generate_key_pair();
Signature sign(const SecretKey& key, const void* data, size_t size);
inline Signature sign(const SecretKey& key, const std::string& data) {
  return sign(key, data.data(), data.size());
}
bool verify_signature(const PublicKey& key, const void* data, size_t size, const Signature& sig);
inline bool verify_signature(const PublicKey& key, const std::string& data, const Signature& sig) {
  return verify_signature(key, data.data(), data.size(), sig);
}

// Writes NAME.key (created with mode 0600) and NAME.pub; refuses to replace existing files
// unless `overwrite`, so that a secret key is never lost by a repeated command.
Status write_key_pair(const KeyPair& pair, const std::string& name, bool overwrite = false);
Expected<PublicKey> read_public_key(const std::string& path);
// Reads a secret key file and checks that its stored public half matches the seed.
Expected<SecretKey> read_secret_key(const std::string& path);

// The public key in its JSON text form (the content of a .pub file), and back.
std::string public_key_json(const PublicKey& key);
Expected<PublicKey> parse_public_key_json(const std::string& text);

}  // namespace ledge::deploy
