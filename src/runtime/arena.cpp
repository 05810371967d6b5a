#include "runtime/arena.h"

#include <cstdlib>
#include <string>

#include "core/tensor.h"

namespace ledge {

void Arena::Free::operator()(uint8_t* p) const { std::free(p); }

Status Arena::reserve(size_t bytes) {
  if (bytes <= size_) return Status();
  if (bytes > tensor_byte_limit())
    return resource_limit("the activation arena would need " + std::to_string(bytes) +
                          " bytes, more than the limit");
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p)
    return resource_limit("cannot allocate an activation arena of " + std::to_string(bytes) +
                          " bytes");
  data_.reset(static_cast<uint8_t*>(p));
  size_ = rounded;
  return Status();
}

}  // namespace ledge
