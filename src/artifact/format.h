// The byte layout of a .ledge file, shared by the writer and the loader.
//
//   offset 0                 64              payload_offset + payload_size    data_offset
//   ┌──────────────────────┬───────────────────────────┬─────────┬──────────────────────────┐
//   │ header (64 bytes)    │ FlatBuffer (ledge_model)  │ padding │ tensor data (64-aligned) │
//   └──────────────────────┴───────────────────────────┴─────────┴──────────────────────────┘
//
// Header fields, all little-endian:
//   0  char[6]  magic "LEDGE\0"
//   6  uint16   format version (kFormatVersion)
//   8  uint32   flags (none defined: must be 0)
//   12 uint32   header size (64)
//   16 uint64   payload offset   (the FlatBuffer; 8-byte aligned, after the header)
//   24 uint64   payload size
//   32 uint64   data offset      (64-byte aligned, at or after the payload's end)
//   40 uint64   data size        (data offset + data size == file size)
//   48 uint64   file size        (so a truncated file is named as such)
//   56 uint32   reserved (0)
//   60 uint32   checksum: CRC-32 (zlib's crc32, the polynomial of gzip and PNG) of bytes
//               [0, 60) followed by bytes [64, file size): everything but the checksum itself
//
// docs/artifact.md explains the choices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ledge::artifact {

inline constexpr char kMagic[6] = {'L', 'E', 'D', 'G', 'E', '\0'};
// 2: lowered convolutions and fully connected layers may carry activation_hard_swish, which a
// version-1 runner would ignore (and compute without the HardSwish).
inline constexpr uint16_t kFormatVersion = 2;
inline constexpr uint32_t kHeaderSize = 64;
// Every tensor's bytes start at a multiple of this, relative to the data section, which
// itself starts at a multiple of it in the file (and mmap returns page-aligned memory).
inline constexpr uint64_t kTensorAlignment = 64;
inline constexpr size_t kChecksumOffset = 60;

struct Header {
  uint16_t format_version = kFormatVersion;
  uint32_t flags = 0;
  uint32_t header_size = kHeaderSize;
  uint64_t payload_offset = 0;
  uint64_t payload_size = 0;
  uint64_t data_offset = 0;
  uint64_t data_size = 0;
  uint64_t file_size = 0;
  uint32_t checksum = 0;
};

// True when the bytes start with the magic (a file of any format version).
bool has_magic(const void* data, size_t size);

// Parses and checks the header of a whole file of `size` bytes: magic, version, flags, and
// that the sections lie inside the file in order and aligned. Does not check the checksum.
Expected<Header> parse_header(const void* data, size_t size);

// CRC-32 of a whole file as defined above (the stored checksum field is skipped).
uint32_t compute_checksum(const void* data, size_t size);
Status verify_checksum(const Header& header, const void* data, size_t size);

// Lays out header + payload + padding + data and stores the checksum. `data` must already
// hold every tensor at its 64-aligned offset. Used by the writer, and by tests that craft
// malformed payloads.
std::string assemble(std::string_view payload, std::string_view data);

}  // namespace ledge::artifact
