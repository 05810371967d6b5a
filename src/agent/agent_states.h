// The install flow of the device agent as one explicit transition table: every state, every
// outcome, and where each leads. The agent (agent.h) runs the action of the state it is in
// and looks the next state up here; nothing else decides the order of an install.
//
//   idle --bundle--> verifying --ok--> staging --ok--> syncing --ok--> health_check
//        --ok--> switching --ok--> committing --ok--> idle
//   verifying --failed--> rejected --ok--> idle           (no slot was touched)
//   staging|syncing|health_check|switching --failed--> rolling_back --ok|failed--> idle
//   committing --failed--> idle                           (the switch happened: recovery
//                                                          finishes the commit at next start)
//
// The switch (an atomic rename of the pointer file) is the commit point: before it the
// previous model is active, after it the new one is, and a crash anywhere leaves one of them.
#pragma once

#include <optional>
#include <span>

namespace ledge::agent {

enum class InstallState {
  kIdle,
  kVerifying,    // signatures, delegation, expiry, version, target, hashes (bundle.h)
  kRejected,     // verification refused the bundle: report and set it aside
  kStaging,      // clean the inactive slot, extract the bundle into it
  kSyncing,      // fsync the slot's files and folders
  kHealthCheck,  // load the model from the slot, run the golden vectors within budget
  kSwitching,    // atomically point active.json at the new slot (the commit point)
  kCommitting,   // clear the journal, report, hand the model to the inference service
  kRollingBack,  // clean the staged slot, keep (or restore) the previous pointer, report
};

enum class StepOutcome { kBundleArrived, kOk, kFailed };

struct Transition {
  InstallState from;
  StepOutcome on;
  InstallState to;
};

// The table, in flow order.
std::span<const Transition> install_transitions();

// The next state, or nullopt when the table has no such transition (a bug: the agent stops).
std::optional<InstallState> next_state(InstallState from, StepOutcome on);

const char* state_name(InstallState s);
std::optional<InstallState> state_from_name(const char* name);

}  // namespace ledge::agent
