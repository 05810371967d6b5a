// Lookup of fast kernels, derived from fast_list.def.
#include <xnnpack.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "core/memory.h"
#include "kernels/fast_kernel.h"

namespace ledge::fast_registry {
#define LEDGE_FAST(Symbol) const ::ledge::FastKernel& Symbol();
#include "kernels/fast_list.def"
#undef LEDGE_FAST
}  // namespace ledge::fast_registry

namespace ledge {

namespace {
using Getter = const FastKernel& (*)();
constexpr Getter kKernels[] = {
#define LEDGE_FAST(Symbol) &fast_registry::Symbol,
#include "kernels/fast_list.def"
#undef LEDGE_FAST
};
}  // namespace

const FastKernel* find_fast_kernel(const std::string& domain, const std::string& op_type) {
  if (!fast_kernels_available()) return nullptr;
  const std::string_view d = domain == "ai.onnx" ? std::string_view() : std::string_view(domain);
  for (Getter g : kKernels)
    if (op_type == g().name && d == g().domain) return &g();
  return nullptr;
}

namespace {

// XNNPACK's memory (packed weights above all) comes from allocate_block, pre-faulted.
void* xnn_alloc(void*, size_t size) { return allocate_block(size, 64, false); }
void* xnn_aligned_alloc(void*, size_t alignment, size_t size) {
  return allocate_block(size, alignment, false);
}
void xnn_free(void*, void* p) { free_block(p); }
void* xnn_realloc(void*, void* p, size_t size) {
  void* q = allocate_block(size, 64, false);
  if (q && p) {
    std::memcpy(q, p, std::min(size, block_size(p)));
    free_block(p);
  }
  return q;
}

}  // namespace

bool fast_kernels_available() {
  // xnn_initialize is idempotent and thread-safe; it fails on CPUs without the baseline
  // instruction set XNNPACK was built for.
  static const xnn_allocator allocator{nullptr,  xnn_alloc,         xnn_realloc,
                                       xnn_free, xnn_aligned_alloc, xnn_free};
  static const bool ok = xnn_initialize(&allocator) == xnn_status_success;
  return ok;
}

}  // namespace ledge
