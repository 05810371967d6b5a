// Feeds arbitrary bytes to the tensor-file readers (.npy, ONNX TensorProto .pb, IDX).
#include <cstddef>
#include <cstdint>

#include "core/tensor.h"
#include "io/idx.h"
#include "io/npy.h"
#include "onnx/import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledge::set_tensor_byte_limit(size_t{64} << 20);
  auto npy = ledge::parse_npy(data, size);
  if (npy) (void)npy->as_double(0 < npy->numel() ? npy->numel() - 1 : 0);
  auto pb = ledge::parse_tensor_pb(data, size);
  (void)pb;
  auto idx = ledge::parse_idx(data, size);  // plain or gzip
  if (idx) (void)idx->as_double(0 < idx->numel() ? idx->numel() - 1 : 0);
  return 0;
}
