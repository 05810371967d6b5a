// The memory intermediate tensors live in during a run: one 64-byte aligned block, sized
// by the memory plan before the first run and never grown during one.
//
// Several sessions (several cameras on one device) may share one Arena: it grows to the
// largest plan, and its mutex makes their runs take turns, since they use the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/status.h"

namespace ledge {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Makes the arena at least `bytes` long. Contents are not kept; the address may change
  // (plans re-bind their tensors when it does). Call with mutex() held.
  Status reserve(size_t bytes);
  uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::mutex& mutex() { return mutex_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
  std::mutex mutex_;
};

}  // namespace ledge
