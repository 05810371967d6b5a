#include "core/memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace ledge {

namespace {

constexpr size_t kHeader = 64;  // keeps the block 64-byte aligned
constexpr size_t kMapThreshold = size_t{256} << 10;
constexpr uint32_t kMalloc = 0x6d616c63, kMapped = 0x6d6d6170;

struct Header {
  uint32_t kind;
  size_t bytes;  // usable size
  size_t total;  // what was allocated, header included
};

}  // namespace

void* allocate_block(size_t bytes, size_t alignment, bool zero) {
  if (alignment > kHeader || bytes > SIZE_MAX - 2 * kHeader) return nullptr;
  const size_t total = (bytes + kHeader + kHeader - 1) / kHeader * kHeader;
  uint8_t* base = nullptr;
  uint32_t kind = kMalloc;
  if (total >= kMapThreshold) {
    void* p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    base = static_cast<uint8_t*>(p);  // zero-filled by the kernel
    kind = kMapped;
  } else {
    base = static_cast<uint8_t*>(std::aligned_alloc(kHeader, total));
    if (!base) return nullptr;
    if (zero) std::memset(base + kHeader, 0, total - kHeader);
  }
  Header h{kind, bytes, total};
  std::memcpy(base, &h, sizeof h);
  return base + kHeader;
}

size_t block_size(const void* p) {
  Header h;
  std::memcpy(&h, static_cast<const uint8_t*>(p) - kHeader, sizeof h);
  return h.bytes;
}

void free_block(void* p) {
  if (!p) return;
  uint8_t* base = static_cast<uint8_t*>(p) - kHeader;
  Header h;
  std::memcpy(&h, base, sizeof h);
  if (h.kind == kMapped)
    ::munmap(base, h.total);
  else
    std::free(base);
}

}  // namespace ledge
