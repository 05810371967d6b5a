// A named point in a durable operation (before a write, an fsync, a rename), where a test can
// inject a failure or a crash (agent/fault_injector.h). Production passes nothing.
//
//   LEDGE_TRY(checkpoint("write slot_b/model.ledge"));
//   write(...);
#pragma once

#include <functional>
#include <string>

#include "core/status.h"

namespace ledge::deploy {

// Returns an error to make the operation fail at this point; may also never return (a crash).
using Checkpoint = std::function<Status(const std::string& point)>;

// Calls `cp` when it is set; success otherwise.
inline Status pass(const Checkpoint& cp, const std::string& point) {
  return cp ? cp(point) : Status();
}

}  // namespace ledge::deploy
