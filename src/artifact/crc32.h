// CRC-32 of the artifact checksum: zlib's crc32 (the polynomial of gzip and PNG), bit for bit,
// but on x86-64 CPUs with carry-less multiplication (PCLMULQDQ) four 16-byte lanes are folded
// at a time, which runs about 4x faster than zlib's tables: the checksum of a 47 MB model is
// most of what loading it costs. Other CPUs (aarch64) use zlib.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ledge::artifact {

// Continues `crc` (0 to start, as zlib's crc32) over n bytes; the same value as crc32_z.
uint32_t crc32_update(uint32_t crc, const uint8_t* p, size_t n);

// zlib's crc32_z itself: the reference the fast path is tested against.
uint32_t crc32_reference(uint32_t crc, const uint8_t* p, size_t n);

}  // namespace ledge::artifact
