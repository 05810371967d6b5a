// Feeds arbitrary bytes to the .ledge artifact loader and, when they load, to session
// creation. The checksum is skipped so that mutations reach the header, FlatBuffer and tensor
// checks behind it (a device may skip it too), then the same bytes go through the checksum
// path. Any crash, leak, hang or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>

#include "artifact/artifact.h"
#include "core/tensor.h"
#include "runtime/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Keep memory bounded: absurd declared shapes must fail cleanly, not allocate.
  ledge::set_tensor_byte_limit(size_t{64} << 20);
  ledge::LoadOptions options;
  options.verify_checksum = false;
  auto model = ledge::load_artifact_bytes(data, size, options);
  options.verify_checksum = true;
  (void)ledge::load_artifact_bytes(data, size, options);
  if (!model) return 0;
  auto session = ledge::Session::create(*model);
  (void)session;
  return 0;
}
