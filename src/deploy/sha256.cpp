#include "deploy/sha256.h"

namespace ledge::deploy {

Sha256::Sha256() { crypto_hash_sha256_init(&state_); }

void Sha256::update(const void* data, size_t size) {
  crypto_hash_sha256_update(&state_, static_cast<const unsigned char*>(data), size);
}

Digest Sha256::finish() {
  Digest d;
  crypto_hash_sha256_final(&state_, d.data());
  return d;
}

std::string Sha256::finish_hex() {
  const Digest d = finish();
  return to_hex(d.data(), d.size());
}

Digest sha256(const void* data, size_t size) {
  Sha256 h;
  h.update(data, size);
  return h.finish();
}

std::string sha256_hex(const void* data, size_t size) {
  const Digest d = sha256(data, size);
  return to_hex(d.data(), d.size());
}

std::string to_hex(const void* data, size_t size) {
  static const char digits[] = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string s(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool from_hex(const std::string& hex, void* out, size_t out_size) {
  if (hex.size() != out_size * 2) return false;
  auto* p = static_cast<uint8_t*>(out);
  for (size_t i = 0; i < out_size; ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    p[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace ledge::deploy
