#include "deploy/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "deploy/sha256.h"

namespace ledge::deploy {

namespace {

constexpr size_t kMaxKeyFileBytes = 4096;

// Writes a whole file created with `mode`, through a temporary name and a rename.
Status write_private_file(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return io_error(path + ": cannot create: " + std::strerror(errno));
  ::fchmod(fd, mode);  // umask must not widen or narrow what the caller asked for
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return io_error(path + ": write failed: " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return io_error(path + ": cannot sync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return io_error(path + ": cannot rename: " + std::strerror(errno));
  }
  return {};
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Expected<nlohmann::json> read_key_json(const std::string& path, const char* type) {
  LEDGE_ASSIGN(std::string text, read_file(path, kMaxKeyFileBytes));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("type") || j["type"] != type)
    return invalid_argument(path + ": not a " + std::string(type) + " key file");
  return j;
}

}  // namespace

std::string PublicKey::id() const {
  const Digest d = sha256(bytes.data(), bytes.size());
  return to_hex(d.data(), 8);
}

PublicKey SecretKey::public_key() const {
  PublicKey pk;
  std::memcpy(pk.bytes.data(), bytes.data() + 32, 32);
  return pk;
}

Status crypto_init() {
  if (sodium_init() < 0) return internal_error("libsodium failed to initialize");
  return {};
}

Expected<KeyPair> generate_key_pair() {
  LEDGE_TRY(crypto_init());
  KeyPair pair;
  crypto_sign_keypair(pair.public_key.bytes.data(), pair.secret.bytes.data());
  return pair;
}

Signature sign(const SecretKey& key, const void* data, size_t size) {
  Signature sig{};
  (void)crypto_init();
  crypto_sign_detached(sig.data(), nullptr, static_cast<const unsigned char*>(data), size,
                       key.bytes.data());
  return sig;
}

bool verify_signature(const PublicKey& key, const void* data, size_t size, const Signature& sig) {
  if (!crypto_init().ok()) return false;
  return crypto_sign_verify_detached(sig.data(), static_cast<const unsigned char*>(data), size,
                                     key.bytes.data()) == 0;
}

std::string public_key_json(const PublicKey& key) {
  nlohmann::json j = {{"type", "ed25519-public"},
                      {"key_id", key.id()},
                      {"public_key", to_hex(key.bytes.data(), key.bytes.size())}};
  return j.dump(2) + "\n";
}

Expected<PublicKey> parse_public_key_json(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  PublicKey pk;
  if (!j.is_object() || j.value("type", "") != "ed25519-public" || !j.contains("public_key") ||
      !j["public_key"].is_string() ||
      !from_hex(j["public_key"].get<std::string>(), pk.bytes.data(), pk.bytes.size()))
    return invalid_argument("not an ed25519 public key");
  return pk;
}

Status write_key_pair(const KeyPair& pair, const std::string& name, bool overwrite) {
  const std::string key_path = name + ".key", pub_path = name + ".pub";
  if (!overwrite)
    for (const auto& p : {key_path, pub_path})
      if (exists(p)) return invalid_argument(p + ": exists; will not replace a key file");
  nlohmann::json secret = {
      {"type", "ed25519-secret"},
      {"key_id", pair.public_key.id()},
      {"secret_key", to_hex(pair.secret.bytes.data(), pair.secret.bytes.size())}};
  LEDGE_TRY(write_private_file(key_path, secret.dump(2) + "\n", 0600));
  return write_private_file(pub_path, public_key_json(pair.public_key), 0644);
}

Expected<PublicKey> read_public_key(const std::string& path) {
  LEDGE_ASSIGN(std::string text, read_file(path, kMaxKeyFileBytes));
  auto key = parse_public_key_json(text);
  if (!key) return key.error().with_context(path);
  return key;
}

Expected<SecretKey> read_secret_key(const std::string& path) {
  LEDGE_ASSIGN(nlohmann::json j, read_key_json(path, "ed25519-secret"));
  SecretKey sk;
  if (!j.contains("secret_key") || !j["secret_key"].is_string() ||
      !from_hex(j["secret_key"].get<std::string>(), sk.bytes.data(), sk.bytes.size()))
    return invalid_argument(path + ": malformed secret key");
  LEDGE_TRY(crypto_init());
  // The public half stored in the key must be the one the seed derives.
  PublicKey derived;
  SecretKey again;
  crypto_sign_seed_keypair(derived.bytes.data(), again.bytes.data(), sk.bytes.data());
  if (!(derived == sk.public_key())) return invalid_argument(path + ": inconsistent secret key");
  return sk;
}

}  // namespace ledge::deploy
