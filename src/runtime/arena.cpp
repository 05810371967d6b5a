#include "runtime/arena.h"

#include <cstdlib>
#include <string>

#include "core/memory.h"
#include "core/tensor.h"

namespace ledge {

void Arena::Free::operator()(uint8_t* p) const { free_block(p); }

Status Arena::reserve(size_t bytes) {
  if (bytes <= size_) return Status();
  if (bytes > tensor_byte_limit())
    return resource_limit("the activation arena would need " + std::to_string(bytes) +
                          " bytes, more than the limit");
  const size_t rounded = (bytes + 63) / 64 * 64;
  data_.reset();  // the old block first: the contents need not survive
  size_ = 0;
  void* p = allocate_block(rounded, 64, false);
  if (!p)
    return resource_limit("cannot allocate an activation arena of " + std::to_string(bytes) +
                          " bytes");
  data_.reset(static_cast<uint8_t*>(p));
  size_ = rounded;
  return Status();
}

}  // namespace ledge
