#include "agent/agent_states.h"

#include <cstring>

namespace ledge::agent {

namespace {

using S = InstallState;
using O = StepOutcome;

constexpr Transition kTransitions[] = {
    {S::kIdle, O::kBundleArrived, S::kVerifying}, {S::kVerifying, O::kOk, S::kStaging},
    {S::kVerifying, O::kFailed, S::kRejected},    {S::kRejected, O::kOk, S::kIdle},
    {S::kStaging, O::kOk, S::kSyncing},           {S::kStaging, O::kFailed, S::kRollingBack},
    {S::kSyncing, O::kOk, S::kHealthCheck},       {S::kSyncing, O::kFailed, S::kRollingBack},
    {S::kHealthCheck, O::kOk, S::kSwitching},     {S::kHealthCheck, O::kFailed, S::kRollingBack},
    {S::kSwitching, O::kOk, S::kCommitting},      {S::kSwitching, O::kFailed, S::kRollingBack},
    {S::kCommitting, O::kOk, S::kIdle},           {S::kCommitting, O::kFailed, S::kIdle},
    {S::kRollingBack, O::kOk, S::kIdle},          {S::kRollingBack, O::kFailed, S::kIdle},
};

constexpr const char* kNames[] = {"idle",      "verifying",  "rejected",
                                  "staging",   "syncing",    "health_check",
                                  "switching", "committing", "rolling_back"};

}  // namespace

std::span<const Transition> install_transitions() { return kTransitions; }

std::optional<InstallState> next_state(InstallState from, StepOutcome on) {
  for (const auto& t : kTransitions)
    if (t.from == from && t.on == on) return t.to;
  return std::nullopt;
}

const char* state_name(InstallState s) { return kNames[static_cast<int>(s)]; }

std::optional<InstallState> state_from_name(const char* name) {
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i)
    if (std::strcmp(kNames[i], name) == 0) return static_cast<InstallState>(i);
  return std::nullopt;
}

}  // namespace ledge::agent
