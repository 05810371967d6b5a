// The bundle container: one file holding the signed manifest, its signatures, the delegation
// that vouches for the signing keys, and the files. Reading it checks structure only; what the
// bytes mean (signatures, hashes) is bundle.h's business.
//
// Layout, all integers little-endian, nothing between fields:
//
//   size    field
//   8       magic "LEDGEBDL"
//   4       u32 format version, 1
//   4       u32 manifest length M, 1 .. 1 MiB
//   M       manifest: canonical JSON (manifest_json.h); the bytes the signatures cover
//   4       u32 signature count S, 1 .. 64
//   S x 80  each: 16 ASCII hex digits of the key id, then the 64-byte Ed25519 signature
//   4       u32 delegation length D, 1 .. 1 MiB
//   D       delegation document (delegation.h), JSON signed by the root key
//   4       u32 file count F, 1 .. 4096
//   per file:
//     2     u16 name length N, 1 .. 255
//     N     name (safe_file_name: [A-Za-z0-9._-], no leading '.')
//     8     u64 size Z
//     Z     contents
//   the file ends right after the last file's contents (trailing bytes are malformed).
//
//   LEDGE_ASSIGN(FileSource src, FileSource::open(path));
//   LEDGE_ASSIGN(BundleContents c, read_bundle_contents(src));   // file data stays on disk
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "deploy/byte_source.h"
#include "deploy/keys.h"

namespace ledge::deploy {

inline constexpr char kBundleMagic[8] = {'L', 'E', 'D', 'G', 'E', 'B', 'D', 'L'};
inline constexpr uint32_t kBundleFormatVersion = 1;
inline constexpr uint32_t kMaxManifestBytes = 1u << 20;
inline constexpr uint32_t kMaxDelegationBytes = 1u << 20;
inline constexpr uint32_t kMaxSignatures = 64;
inline constexpr uint32_t kMaxFiles = 4096;
inline constexpr size_t kMaxFileNameBytes = 255;

struct SignatureRecord {
  std::string key_id;  // 16 hex digits
  Signature signature{};
};

// Where a file's contents lie in the bundle.
struct BundleEntry {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct BundleContents {
  std::string manifest;
  std::vector<SignatureRecord> signatures;
  std::string delegation;
  std::vector<BundleEntry> files;  // in bundle order; names unique
};

// A file's contents for the writer.
struct BundleFile {
  std::string name;
  std::string data;
};

// True for names a bundle may carry: 1..255 of [A-Za-z0-9._-], not starting with '.', so
// that extracting can never leave the target folder.
bool safe_file_name(const std::string& name);

// Structure checks only; every failure is a kMalformed rejection (rejection.h).
Expected<BundleContents> read_bundle_contents(const ByteSource& src);
// The whole container as bytes (the caller writes it with write_file).
Expected<std::string> serialize_bundle(const std::string& manifest,
                                       const std::vector<SignatureRecord>& signatures,
                                       const std::string& delegation,
                                       const std::vector<BundleFile>& files);

}  // namespace ledge::deploy
