// Makes the Nth durable step of an install fail or kill the process, so that tests can prove
// that every write, fsync and rename point leaves a runnable model behind.
//
//   FaultInjector f = FaultInjector::kill_at(7);          // SIGKILL at the 7th checkpoint
//   AgentOptions o; o.checkpoint = f.checkpoint();
//
// The CLI reads LEDGE_AGENT_FAULT=kill:N or fail:N (tests only; unset in production).
// Not thread-safe: the agent's install runs in one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "deploy/checkpoint.h"

namespace ledge::agent {

class FaultInjector {
 public:
  enum class Mode { kNone, kFail, kKill };

  static FaultInjector none() { return FaultInjector(Mode::kNone, 0); }
  static FaultInjector fail_at(int64_t n) { return FaultInjector(Mode::kFail, n); }
  static FaultInjector kill_at(int64_t n) { return FaultInjector(Mode::kKill, n); }
  // "kill:N", "fail:N", or "" (none).
  static Expected<FaultInjector> parse(const std::string& spec);

  // A checkpoint that counts calls, remembers their names, and acts at the Nth (1-based).
  deploy::Checkpoint checkpoint() const;
  // How many checkpoints were passed, and their names in order.
  int64_t count() const { return state_->names.size(); }
  const std::vector<std::string>& names() const { return state_->names; }
  // Whether the injected failure happened.
  bool fired() const { return state_->fired; }

 private:
  struct State {
    std::vector<std::string> names;
    bool fired = false;
  };
  FaultInjector(Mode mode, int64_t n) : mode_(mode), n_(n), state_(std::make_shared<State>()) {}

  Mode mode_;
  int64_t n_;
  std::shared_ptr<State> state_;  // shared by the copies the checkpoint holds
};

}  // namespace ledge::agent
