// The install in progress, on disk, so that an agent restarted after a crash knows what it
// was doing: which bundle, into which slot, how far it got, and how many times it tried.
//
//   <state>/journal.json  {"bundle":"/inbox/v4.bundle","version":4,"slot":"b",
//                          "step":"health_check","attempts":1}
//
// Written durably at every step (deploy/durable_file.h) and removed at the end of an install.
// `attempts` bounds retries: an install that keeps crashing the agent (a model that takes the
// process down in its health check) is given up after kMaxInstallAttempts starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "deploy/checkpoint.h"

namespace ledge::agent {

inline constexpr int kMaxInstallAttempts = 3;

struct InstallJournal {
  std::string bundle;  // the bundle's path (in the inbox)
  uint64_t version = 0;
  std::string slot;    // the slot being staged
  std::string step;    // agent_states.h state name
  int attempts = 1;    // installs of this bundle started so far
  std::string reason;  // rolling_back: why (reported again if the rollback is finished later)
  // The record that was active when the install began (empty slot: none), to restore if the
  // install fails after the switch.
  std::string previous_json;
};

// The journal at `path`; nullopt when there is none. A malformed journal is reported as one
// (the caller rolls back: nothing in it can be trusted).
Expected<std::optional<InstallJournal>> read_journal(const std::string& path);
Status write_journal(const std::string& path, const InstallJournal& j,
                     const deploy::Checkpoint& checkpoint);
Status remove_journal(const std::string& path, const deploy::Checkpoint& checkpoint);

}  // namespace ledge::agent
