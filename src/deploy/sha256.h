// SHA-256 (libsodium's crypto_hash_sha256) of whole buffers and of streams fed piece by piece.
//
//   Sha256 h;
//   h.update(chunk1.data(), chunk1.size());
//   h.update(chunk2.data(), chunk2.size());
//   std::string hex = h.finish_hex();   // 64 lower-case hex digits
//
// A Sha256 is a plain value owned by its user; not thread-safe (one stream per object).
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ledge::deploy {

using Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  // Ends the stream; the object must not be updated afterwards.
  Digest finish();
  std::string finish_hex();

 private:
  crypto_hash_sha256_state state_;
};

Digest sha256(const void* data, size_t size);
std::string sha256_hex(const void* data, size_t size);

// Lower-case hex of bytes, and back (fails on odd length or non-hex characters).
std::string to_hex(const void* data, size_t size);
bool from_hex(const std::string& hex, void* out, size_t out_size);

}  // namespace ledge::deploy
