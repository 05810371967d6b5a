#include "deploy/bundle_format.h"

#include <cstring>
#include <set>

#include "deploy/rejection.h"

namespace ledge::deploy {

namespace {

Error malformed(const std::string& what) { return rejection_error(Rejection::kMalformed, what); }

// Reads little-endian integers and strings front to back, tracking the offset.
class Cursor {
 public:
  explicit Cursor(const ByteSource& src) : src_(src) {}
  uint64_t offset() const { return offset_; }
  uint64_t remaining() const { return src_.size() - offset_; }

  template <class T>
  Expected<T> uint() {
    uint8_t b[sizeof(T)];
    LEDGE_TRY(src_.read(offset_, b, sizeof b));
    offset_ += sizeof b;
    T v = 0;
    for (size_t i = 0; i < sizeof b; ++i) v |= static_cast<T>(static_cast<T>(b[i]) << (8 * i));
    return v;
  }
  Expected<std::string> bytes(size_t n) {
    if (n > remaining())
      return malformed("truncated: a field of " + std::to_string(n) + " bytes at offset " +
                       std::to_string(offset_) + " runs past the end");
    std::string s(n, '\0');
    LEDGE_TRY(src_.read(offset_, s.data(), n));
    offset_ += n;
    return s;
  }
  Status skip(uint64_t n) {
    if (n > remaining())
      return malformed("truncated: " + std::to_string(n) + " bytes at offset " +
                       std::to_string(offset_) + " run past the end");
    offset_ += n;
    return {};
  }

 private:
  const ByteSource& src_;
  uint64_t offset_ = 0;
};

Expected<std::string> length_prefixed(Cursor& c, uint32_t limit, const char* what) {
  LEDGE_ASSIGN(uint32_t n, c.uint<uint32_t>());
  if (n == 0 || n > limit)
    return malformed(std::string(what) + " length " + std::to_string(n) + " outside 1.." +
                     std::to_string(limit));
  return c.bytes(n);
}

template <class T>
void put(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool hex_id(const std::string& s) {
  if (s.size() != 16) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

bool safe_file_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxFileNameBytes || name[0] == '.') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

Expected<BundleContents> read_bundle_contents(const ByteSource& src) {
  Cursor c(src);
  if (src.size() < sizeof kBundleMagic + 4) return malformed("too short to be a bundle");
  LEDGE_ASSIGN(std::string magic, c.bytes(sizeof kBundleMagic));
  if (std::memcmp(magic.data(), kBundleMagic, sizeof kBundleMagic) != 0)
    return malformed("not a ledge bundle (bad magic)");
  LEDGE_ASSIGN(uint32_t version, c.uint<uint32_t>());
  if (version != kBundleFormatVersion)
    return malformed("bundle format version " + std::to_string(version) + " (this reader knows " +
                     std::to_string(kBundleFormatVersion) + ")");

  BundleContents out;
  LEDGE_ASSIGN(out.manifest, length_prefixed(c, kMaxManifestBytes, "manifest"));

  LEDGE_ASSIGN(uint32_t nsig, c.uint<uint32_t>());
  if (nsig == 0 || nsig > kMaxSignatures)
    return malformed("signature count " + std::to_string(nsig) + " outside 1.." +
                     std::to_string(kMaxSignatures));
  for (uint32_t i = 0; i < nsig; ++i) {
    SignatureRecord r;
    LEDGE_ASSIGN(r.key_id, c.bytes(16));
    if (!hex_id(r.key_id)) return malformed("signature " + std::to_string(i) + ": bad key id");
    LEDGE_ASSIGN(std::string sig, c.bytes(r.signature.size()));
    std::memcpy(r.signature.data(), sig.data(), sig.size());
    out.signatures.push_back(std::move(r));
  }

  LEDGE_ASSIGN(out.delegation, length_prefixed(c, kMaxDelegationBytes, "delegation"));

  LEDGE_ASSIGN(uint32_t nfiles, c.uint<uint32_t>());
  if (nfiles == 0 || nfiles > kMaxFiles)
    return malformed("file count " + std::to_string(nfiles) + " outside 1.." +
                     std::to_string(kMaxFiles));
  std::set<std::string> names;
  for (uint32_t i = 0; i < nfiles; ++i) {
    BundleEntry e;
    LEDGE_ASSIGN(uint16_t name_len, c.uint<uint16_t>());
    LEDGE_ASSIGN(e.name, c.bytes(name_len));
    if (!safe_file_name(e.name))
      return malformed("file " + std::to_string(i) + ": unsafe or empty name");
    if (!names.insert(e.name).second) return malformed("file '" + e.name + "' appears twice");
    LEDGE_ASSIGN(e.size, c.uint<uint64_t>());
    e.offset = c.offset();
    LEDGE_TRY(c.skip(e.size));
    out.files.push_back(std::move(e));
  }
  if (c.remaining() != 0)
    return malformed(std::to_string(c.remaining()) + " bytes after the last file");
  return out;
}

Expected<std::string> serialize_bundle(const std::string& manifest,
                                       const std::vector<SignatureRecord>& signatures,
                                       const std::string& delegation,
                                       const std::vector<BundleFile>& files) {
  if (manifest.empty() || manifest.size() > kMaxManifestBytes)
    return resource_limit("manifest of " + std::to_string(manifest.size()) + " bytes");
  if (signatures.empty() || signatures.size() > kMaxSignatures)
    return invalid_argument("a bundle needs 1.." + std::to_string(kMaxSignatures) + " signatures");
  if (delegation.empty() || delegation.size() > kMaxDelegationBytes)
    return resource_limit("delegation of " + std::to_string(delegation.size()) + " bytes");
  if (files.empty() || files.size() > kMaxFiles)
    return resource_limit("a bundle holds 1.." + std::to_string(kMaxFiles) + " files");
  std::string out(kBundleMagic, sizeof kBundleMagic);
  put<uint32_t>(out, kBundleFormatVersion);
  put<uint32_t>(out, static_cast<uint32_t>(manifest.size()));
  out += manifest;
  put<uint32_t>(out, static_cast<uint32_t>(signatures.size()));
  for (const auto& s : signatures) {
    if (!hex_id(s.key_id)) return invalid_argument("bad key id '" + s.key_id + "'");
    out += s.key_id;
    out.append(reinterpret_cast<const char*>(s.signature.data()), s.signature.size());
  }
  put<uint32_t>(out, static_cast<uint32_t>(delegation.size()));
  out += delegation;
  put<uint32_t>(out, static_cast<uint32_t>(files.size()));
  std::set<std::string> names;
  for (const auto& f : files) {
    if (!safe_file_name(f.name)) return invalid_argument("unsafe file name '" + f.name + "'");
    if (!names.insert(f.name).second) return invalid_argument("file '" + f.name + "' twice");
    put<uint16_t>(out, static_cast<uint16_t>(f.name.size()));
    out += f.name;
    put<uint64_t>(out, f.data.size());
    out += f.data;
  }
  return out;
}

}  // namespace ledge::deploy
