// The transition table is the whole install flow: check that it is complete and that every
// path ends in idle, so the agent can never be stuck between two models.
#include "agent/agent_states.h"

#include <gtest/gtest.h>

#include <set>

namespace ledge::agent {
namespace {

const InstallState kWorking[] = {InstallState::kVerifying,   InstallState::kRejected,
                                 InstallState::kStaging,     InstallState::kSyncing,
                                 InstallState::kHealthCheck, InstallState::kSwitching,
                                 InstallState::kCommitting,  InstallState::kRollingBack};

TEST(AgentStates, EveryWorkingStateHandlesSuccessAndFailure) {
  for (InstallState s : kWorking) {
    EXPECT_TRUE(next_state(s, StepOutcome::kOk).has_value()) << state_name(s);
    if (s != InstallState::kRejected) {  // rejecting is only ever followed by idle
      EXPECT_TRUE(next_state(s, StepOutcome::kFailed).has_value()) << state_name(s);
    }
  }
}

TEST(AgentStates, IdleOnlyLeavesForABundle) {
  EXPECT_EQ(next_state(InstallState::kIdle, StepOutcome::kBundleArrived), InstallState::kVerifying);
  EXPECT_FALSE(next_state(InstallState::kIdle, StepOutcome::kOk).has_value());
  EXPECT_FALSE(next_state(InstallState::kIdle, StepOutcome::kFailed).has_value());
}

// Walks every combination of outcomes: each path returns to idle within the table's length,
// and a failure before the switch never passes through switching or committing.
void walk(InstallState s, bool failed_before_switch, int depth, std::set<InstallState>& seen) {
  ASSERT_LT(depth, 20) << "a loop in the install flow";
  seen.insert(s);
  if (s == InstallState::kIdle && depth > 0) return;
  for (StepOutcome o : {StepOutcome::kBundleArrived, StepOutcome::kOk, StepOutcome::kFailed}) {
    const auto next = next_state(s, o);
    if (!next) continue;
    const bool failed =
        failed_before_switch || (o == StepOutcome::kFailed && s != InstallState::kSwitching &&
                                 s != InstallState::kCommitting);
    if (failed) {
      EXPECT_NE(*next, InstallState::kSwitching) << "after a failure in " << state_name(s);
      EXPECT_NE(*next, InstallState::kCommitting) << "after a failure in " << state_name(s);
    }
    walk(*next, failed, depth + 1, seen);
  }
}

TEST(AgentStates, EveryPathEndsInIdleAndEveryStateIsReachable) {
  std::set<InstallState> seen;
  walk(InstallState::kIdle, false, 0, seen);
  for (InstallState s : kWorking) EXPECT_TRUE(seen.count(s)) << state_name(s) << " unreachable";
}

TEST(AgentStates, NamesRoundTrip) {
  for (InstallState s : kWorking) EXPECT_EQ(state_from_name(state_name(s)), s);
  EXPECT_FALSE(state_from_name("nonsense").has_value());
}

}  // namespace
}  // namespace ledge::agent
