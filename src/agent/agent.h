// The device agent's install logic: verify a signed bundle, stage it into the inactive slot,
// sync it, health-check it, switch to it atomically, commit; on any failure keep or restore the
// previous model and say why. The order is agent_states.h's table; the state on disk is
// slot_store.h (which model is active) and install_journal.h (the install in progress).
//
//   LEDGE_ASSIGN(auto agent, Agent::open(options));
//   LEDGE_TRY(agent->recover());                     // finish what a crash interrupted
//   InstallResult r = agent->install("/inbox/v4.bundle");
//
// Every outcome is an event on options.events (the durable telemetry queue in the daemon):
// install_started, install_committed, install_rejected, rollback, recovered. A bundle that
// failed is moved to <state>/rejected/ with a .reason file and never retried; one whose
// install was interrupted is retried at most kMaxInstallAttempts times. One thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_states.h"
#include "agent/health_check.h"
#include "agent/install_journal.h"
#include "agent/slot_store.h"
#include "core/status.h"
#include "deploy/bundle.h"
#include "deploy/checkpoint.h"
#include "deploy/event_sink.h"

namespace ledge::agent {

struct AgentOptions {
  std::string state_dir;
  deploy::TrustRoot trust;
  deploy::EventSink* events = nullptr;  // required; must outlive the agent
  deploy::Checkpoint checkpoint;        // fault injection (tests); empty in production
  HealthOptions health;
  // The policy for a bundle, from what is installed (tests pin the clock and CPU features).
  std::function<deploy::VerifyPolicy(uint64_t installed_version, uint64_t delegation_version)>
      policy = deploy::VerifyPolicy::for_this_device;
  // Called after every commit with the new active record and its slot folder (the inference
  // service swaps models here).
  std::function<void(const ActiveRecord&, const std::string& slot_dir)> on_commit;
  std::function<void(const std::string&)> log;  // one line; default: stderr
};

enum class InstallOutcome {
  kCommitted,   // the new model is active
  kRejected,    // verification refused the bundle; nothing was touched
  kRolledBack,  // staged but failed (health check, I/O): the previous model stays active
  kInterrupted  // an I/O failure left the journal behind: recover() finishes it
};
const char* outcome_name(InstallOutcome o);

struct InstallResult {
  std::string bundle;
  InstallOutcome outcome = InstallOutcome::kInterrupted;
  std::string reason;  // rejection name and detail, or what failed
  uint64_t version = 0;
  std::vector<InstallState> path;  // the states it went through, for logs and tests
};

class Agent {
 public:
  static Expected<std::unique_ptr<Agent>> open(AgentOptions options);

  // Finishes or undoes an install a crash interrupted (by the journal), retrying a bundle that
  // is still in its place at most kMaxInstallAttempts times. Call once at start.
  Status recover();
  // Installs one bundle; the bundle is removed (committed) or moved to rejected/ (refused).
  InstallResult install(const std::string& bundle_path);
  // Installs every *.bundle file in `inbox`, in name order.
  std::vector<InstallResult> process_inbox(const std::string& inbox);

  Expected<std::optional<ActiveRecord>> active() const { return slots_.active(); }
  const SlotStore& slots() const { return slots_; }

 private:
  Agent(AgentOptions options, SlotStore slots);
  struct Install;  // one install's working data (agent.cpp)

  InstallResult run(const std::string& bundle_path, int attempts);
  Status step(InstallState state, Install& in);
  Status verify(Install& in);
  Status stage(Install& in);
  Status sync(Install& in);
  Status check_health(Install& in);
  Status switch_slot(Install& in);
  Status commit(Install& in);
  Status roll_back(Install& in);
  Status set_aside(const std::string& bundle_path, const std::string& reason);
  Status journal_step(Install& in, InstallState state);
  void emit(const std::string& kind, const std::string& json_payload);
  void log(const std::string& line);

  AgentOptions options_;
  SlotStore slots_;
};

}  // namespace ledge::agent
