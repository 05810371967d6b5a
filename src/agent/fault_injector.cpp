#include "agent/fault_injector.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace ledge::agent {

Expected<FaultInjector> FaultInjector::parse(const std::string& spec) {
  if (spec.empty()) return none();
  const size_t colon = spec.find(':');
  const std::string mode = spec.substr(0, colon);
  if (colon == std::string::npos || (mode != "kill" && mode != "fail"))
    return invalid_argument("fault spec '" + spec + "': expected kill:N or fail:N");
  char* end = nullptr;
  const long long n = std::strtoll(spec.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || n < 1) return invalid_argument("fault spec '" + spec + "': N must be >= 1");
  return mode == "kill" ? kill_at(n) : fail_at(n);
}

deploy::Checkpoint FaultInjector::checkpoint() const {
  return [mode = mode_, n = n_, state = state_](const std::string& point) -> Status {
    state->names.push_back(point);
    if (mode == Mode::kNone || static_cast<int64_t>(state->names.size()) != n) return {};
    state->fired = true;
    if (mode == Mode::kKill) {
      std::fprintf(stderr, "fault injection: SIGKILL at checkpoint %lld (%s)\n",
                   static_cast<long long>(n), point.c_str());
      std::fflush(stderr);
      std::raise(SIGKILL);
    }
    return io_error("injected failure at checkpoint " + std::to_string(n) + " (" + point + ")");
  };
}

}  // namespace ledge::agent
