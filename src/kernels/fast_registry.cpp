// Lookup of fast kernels, derived from fast_list.def.
#include <xnnpack.h>

#include <string_view>

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

bool fast_kernels_available() {
  // xnn_initialize is idempotent and thread-safe; it fails on CPUs without the baseline
  // instruction set XNNPACK was built for.
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

}  // namespace ledge
