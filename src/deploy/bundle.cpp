#include "deploy/bundle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/file.h"
#include "deploy/delegation.h"
#include "deploy/durable_file.h"
#include "deploy/manifest_json.h"
#include "deploy/rejection.h"
#include "deploy/sha256.h"
#include "deploy/target.h"

namespace ledge::deploy {

namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;

// Streams a file's contents out of the bundle in chunks: to hash, and to write while hashing.
template <class Sink>
Expected<std::string> stream_entry(const ByteSource& src, const BundleEntry& e, Sink&& sink) {
  Sha256 h;
  std::string buf(static_cast<size_t>(std::min<uint64_t>(e.size, kChunkBytes)), '\0');
  for (uint64_t done = 0; done < e.size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(e.size - done, kChunkBytes));
    LEDGE_TRY(src.read(e.offset + done, buf.data(), n));
    h.update(buf.data(), n);
    LEDGE_TRY(sink(buf.data(), n));
    done += n;
  }
  return h.finish_hex();
}

Status no_sink(const char*, size_t) { return {}; }

// Counts distinct delegated, unrevoked keys with a valid signature over the manifest bytes;
// when too few, says why in the most telling way (revoked, then unknown, then threshold).
Expected<std::vector<std::string>> check_signatures(const BundleContents& c, const Delegation& d) {
  std::set<std::string> valid, revoked, unknown;
  for (const auto& s : c.signatures) {
    if (d.is_revoked(s.key_id)) {
      revoked.insert(s.key_id);
      continue;
    }
    const PublicKey* key = d.find_key(s.key_id);
    if (!key) {
      unknown.insert(s.key_id);
      continue;
    }
    if (verify_signature(*key, c.manifest, s.signature)) valid.insert(s.key_id);
  }
  if (valid.size() >= d.threshold) return std::vector<std::string>(valid.begin(), valid.end());
  const std::string counts = std::to_string(valid.size()) + " valid signature(s), threshold " +
                             std::to_string(d.threshold);
  if (!revoked.empty())
    return rejection_error(Rejection::kRevokedKey,
                           "signed by revoked key " + *revoked.begin() + " (" + counts + ")");
  if (!unknown.empty() && valid.empty())
    return rejection_error(Rejection::kUnknownKey,
                           "signed by key " + *unknown.begin() + ", which delegation version " +
                               std::to_string(d.version) + " does not list (" + counts + ")");
  return rejection_error(Rejection::kThreshold, counts);
}

Status check_signers(const BundleSpec& spec) {
  LEDGE_ASSIGN(Delegation d, read_delegation_unverified(spec.delegation));
  std::set<std::string> ids;
  for (const auto& k : spec.keys) {
    const std::string id = k.public_key().id();
    if (d.is_revoked(id)) return invalid_argument("signing key " + id + " is revoked");
    if (!d.find_key(id))
      return invalid_argument("signing key " + id + " is not in delegation version " +
                              std::to_string(d.version));
    ids.insert(id);
  }
  if (ids.size() < d.threshold)
    return invalid_argument(std::to_string(ids.size()) + " distinct signing key(s); the " +
                            "delegation's threshold is " + std::to_string(d.threshold));
  return {};
}

// Writes one bundle file to dir/name through dir/name.partial, checking the hash before the
// rename so that a file with the wrong contents never appears under its real name.
Status extract_entry(const ByteSource& src, const BundleEntry& e, const std::string& want,
                     const std::string& dir, const Checkpoint& cp) {
  const std::string path = dir + "/" + e.name, tmp = path + ".partial";
  LEDGE_TRY(pass(cp, "write " + path));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(tmp + ": cannot create: " + std::strerror(errno));
  auto got =
      stream_entry(src, e, [&](const char* p, size_t n) { return write_all(fd, p, n, tmp); });
  Status st;
  if (!got)
    st = got.error();
  else if (*got != want)
    st = rejection_error(Rejection::kTampered,
                         "file '" + e.name + "' changed since it was verified");
  else if (Status c = pass(cp, "fsync " + tmp); !c.ok())
    st = c;
  else if (::fsync(fd) != 0)
    st = io_error(tmp + ": cannot sync: " + std::strerror(errno));
  if (::close(fd) != 0 && st.ok()) st = io_error(tmp + ": close failed");
  if (st.ok()) st = pass(cp, "rename " + path);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    st = io_error(path + ": cannot rename: " + std::strerror(errno));
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

}  // namespace

VerifyPolicy VerifyPolicy::for_this_device(uint64_t installed_version,
                                           uint64_t min_delegation_version) {
  VerifyPolicy p;
  p.installed_version = installed_version;
  p.min_delegation_version = min_delegation_version;
  return p;
}

Expected<std::string> build_bundle(const BundleSpec& spec) {
  if (spec.keys.empty()) return invalid_argument("a bundle needs at least one signing key");
  if (spec.check_signers) LEDGE_TRY(check_signers(spec));
  Manifest m = spec.manifest;
  m.sha256.clear();
  for (const auto& f : spec.files) m.sha256[f.name] = sha256_hex(f.data.data(), f.data.size());
  if (!m.sha256.count(m.model))
    return invalid_argument("the model '" + m.model + "' is not among the files");
  const std::string manifest = manifest_to_json(m);
  // The reader's checks (safe names, golden files hashed, limits) apply to what we write.
  auto reread = manifest_from_json(manifest);
  if (!reread) return invalid_argument(reread.error().message());
  std::vector<SignatureRecord> sigs;
  for (const auto& k : spec.keys) sigs.push_back({k.public_key().id(), sign(k, manifest)});
  return serialize_bundle(manifest, sigs, spec.delegation, spec.files);
}

Status create_bundle(const BundleSpec& spec, const std::string& out_path) {
  LEDGE_ASSIGN(std::string bytes, build_bundle(spec));
  return write_file(out_path, bytes.data(), bytes.size());
}

Expected<Manifest> verify_bundle_source(const ByteSource& src, const TrustRoot& root,
                                        const VerifyPolicy& policy) {
  LEDGE_TRY(crypto_init());
  LEDGE_ASSIGN(BundleContents c, read_bundle_contents(src));

  // Who may sign: the delegation, vouched for by the root, no older than one already seen.
  LEDGE_ASSIGN(Delegation d, open_delegation(c.delegation, root.key));
  if (d.version < policy.min_delegation_version)
    return rejection_error(Rejection::kDelegationStale,
                           "delegation version " + std::to_string(d.version) +
                               " is older than version " +
                               std::to_string(policy.min_delegation_version) + " already seen");
  if (d.expires_at <= policy.now)
    return rejection_error(Rejection::kExpired, "the delegation expired at " +
                                                    std::to_string(d.expires_at) + " (now " +
                                                    std::to_string(policy.now) + ")");

  // Nothing in the manifest is looked at before enough signatures cover its bytes.
  LEDGE_ASSIGN(std::vector<std::string> signers, check_signatures(c, d));
  LEDGE_ASSIGN(Manifest m, manifest_from_json(c.manifest));
  if (m.expires_at <= policy.now)
    return rejection_error(Rejection::kExpired, "the bundle expired at " +
                                                    std::to_string(m.expires_at) + " (now " +
                                                    std::to_string(policy.now) + ")");
  if (m.version <= policy.installed_version)
    return rejection_error(Rejection::kRollback, "bundle version " + std::to_string(m.version) +
                                                     " is not newer than installed version " +
                                                     std::to_string(policy.installed_version));
  LEDGE_TRY(check_target(m, policy.cpu_features, policy.runtime_version));

  // The files: exactly those the manifest lists, each with its hash.
  if (c.files.size() != m.sha256.size())
    return rejection_error(Rejection::kTampered,
                           "the bundle holds " + std::to_string(c.files.size()) +
                               " files, the manifest lists " + std::to_string(m.sha256.size()));
  for (const auto& e : c.files) {
    auto want = m.sha256.find(e.name);
    if (want == m.sha256.end())
      return rejection_error(Rejection::kTampered, "file '" + e.name + "' is not in the manifest");
    LEDGE_ASSIGN(std::string got, stream_entry(src, e, no_sink));
    if (got != want->second)
      return rejection_error(Rejection::kTampered,
                             "file '" + e.name + "' does not match its SHA-256 in the manifest");
  }
  m.delegation_version = d.version;
  m.signed_by = std::move(signers);
  return m;
}

Expected<Manifest> verify_bundle(const std::string& bundle_path, const TrustRoot& root,
                                 const VerifyPolicy& policy) {
  LEDGE_ASSIGN(FileSource src, FileSource::open(bundle_path));
  return verify_bundle_source(src, root, policy);
}

Status extract_bundle(const std::string& bundle_path, const Manifest& m, const std::string& dir,
                      const Checkpoint& checkpoint) {
  LEDGE_ASSIGN(FileSource src, FileSource::open(bundle_path));
  LEDGE_ASSIGN(BundleContents c, read_bundle_contents(src));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error(dir + ": cannot create folder: " + ec.message());
  for (const auto& [name, digest] : m.sha256) {
    if (!safe_file_name(name)) return rejection_error(Rejection::kMalformed, "unsafe file name");
    const BundleEntry* entry = nullptr;
    for (const auto& e : c.files)
      if (e.name == name) entry = &e;
    if (!entry)
      return rejection_error(Rejection::kTampered,
                             "file '" + name + "' is missing from the bundle");
    LEDGE_TRY(extract_entry(src, *entry, digest, dir, checkpoint));
  }
  LEDGE_TRY(pass(checkpoint, "fsync " + dir));
  return fsync_dir(dir);
}

}  // namespace ledge::deploy
