// Feeds arbitrary bytes to the ONNX importer and, when they import, to session creation,
// which verifies the graph and runs every operator's infer (evaluating small constants
// with the reference kernels). Any crash, leak, hang or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>

#include "core/tensor.h"
#include "onnx/import.h"
#include "runtime/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Keep memory bounded: absurd declared shapes must fail cleanly, not allocate.
  ledge::set_tensor_byte_limit(size_t{64} << 20);
  auto model = ledge::import_onnx_bytes(data, size, "");
  if (!model) return 0;
  auto session = ledge::Session::create(*model);
  (void)session;
  return 0;
}
