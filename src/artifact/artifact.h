// The .ledge artifact: a compact model file that loads by mapping it into memory.
//
//   LEDGE_TRY(write_artifact(*model, "model.ledge"));
//   LEDGE_ASSIGN(std::shared_ptr<Model> m, load_artifact("model.ledge"));
//
// A .ledge file holds the whole IR (src/ir/graph.h) as a FlatBuffer (ledge_model.fbs)
// followed by the tensors' bytes, each 64-byte aligned. Loading maps the file read-only and
// makes every tensor a Tensor::borrow into the mapping: weights are never copied, and the
// model keeps the mapping alive for as long as any of its tensors lives. Layout, versioning
// and checksum: format.h and docs/artifact.md.
//
// The file is untrusted: the loader checks the header, the format version, the checksum,
// the FlatBuffer (FlatBuffers' Verifier) and every offset, size, alignment, element type and
// shape before it builds anything; a malformed file is an Error, never a crash. The weights
// are read-only memory: writing through an initializer's data pointer faults.
//
// This library does not use protobuf, so a device runner can link it without ONNX.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ir/graph.h"

namespace ledge {

// Metadata key of an artifact whose graph is already prepared for the CPU
// (Model::prepared_for_cpu; value "cpu"). Written and read by the artifact itself.
inline constexpr std::string_view kPreparedKey = "ledge.prepared";

struct WriteOptions {
  // Free-form facts stored in the artifact ("source": the file compiled from, ...).
  std::map<std::string, std::string> metadata;
};

struct LoadOptions {
  // Compute the CRC-32 of the whole file and compare it with the header's. Reading every
  // byte costs time proportional to the file size; skipping it still checks the structure
  // (so a corrupt file cannot crash the loader) but may load flipped weight bits.
  bool verify_checksum = true;
};

// The bytes of an artifact for `model`; fails for a model the format cannot hold (a null
// subgraph, a tensor of an unsupported element type).
Expected<std::string> serialize_artifact(const Model& model, const WriteOptions& options = {});
// Writes the artifact atomically (a temporary file, then a rename).
Status write_artifact(const Model& model, const std::string& path,
                      const WriteOptions& options = {});

// Maps `path` and builds a model whose tensors point into the mapping.
Expected<std::shared_ptr<Model>> load_artifact(const std::string& path,
                                               const LoadOptions& options = {});
// Builds a model over `size` bytes at `data`, which `owner` keeps valid and unchanged;
// `data` must be 64-byte aligned (so that tensors are).
Expected<std::shared_ptr<Model>> load_artifact_memory(const void* data, size_t size,
                                                      std::shared_ptr<const void> owner,
                                                      const LoadOptions& options = {});
// Copies the bytes into an aligned buffer first (for fuzzing and tests).
Expected<std::shared_ptr<Model>> load_artifact_bytes(const void* data, size_t size,
                                                     const LoadOptions& options = {});

// True when the file starts with the artifact magic, whatever its format version; false for
// anything else, including unreadable files (so callers fall back to other formats).
bool is_artifact_file(const std::string& path);

// What the header and the metadata say, without building the model or reading the weights.
struct ArtifactInfo {
  uint32_t format_version = 0;
  uint64_t file_bytes = 0;
  uint64_t graph_bytes = 0;  // the FlatBuffer: graph structure and tensor metadata
  uint64_t data_bytes = 0;   // the data section: tensor bytes and alignment padding
  std::map<std::string, std::string> metadata;
};
Expected<ArtifactInfo> read_artifact_info(const std::string& path);

}  // namespace ledge
