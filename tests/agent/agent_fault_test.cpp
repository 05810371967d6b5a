// Fault injection: an install stopped at every write, fsync and rename point, by an injected
// I/O error or by SIGKILL, then the agent restarted. After recovery a runnable model must be
// active (the old one or the new one, never neither), no journal may be left, the telemetry
// queue must still hold every event recorded before, and the next install must work.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "agent/agent.h"
#include "agent/fault_injector.h"
#include "agent_fixture.h"
#include "deploy/event_queue.h"

namespace ledge::agent {
namespace {

using testing::TempDir;
using testing::write_bundle;

std::unique_ptr<deploy::EventQueue> open_queue(const std::string& state) {
  std::filesystem::create_directories(state);
  auto q = deploy::EventQueue::open(state + "/telemetry.db", deploy::QueueLimits{},
                                    {nullptr, [](const std::string&) {}});
  EXPECT_TRUE(q.ok()) << q.error().message();
  return q.ok() ? std::move(*q) : nullptr;
}

std::set<std::string> event_ids(deploy::EventQueue& q) {
  std::set<std::string> ids;
  auto events = q.peek(10000);
  EXPECT_TRUE(events.ok());
  if (events.ok())
    for (const auto& e : *events) ids.insert(e.id);
  return ids;
}

// A device with version 1 installed, version 2 in the inbox; returns the events so far.
std::set<std::string> prepare(const TempDir& dir) {
  const std::string state = dir.file("state");
  auto q = open_queue(state);
  auto agent = Agent::open(testing::agent_options(state, q.get()));
  write_bundle(dir.file("v1.bundle"), 1);
  EXPECT_EQ((*agent)->install(dir.file("v1.bundle")).outcome, InstallOutcome::kCommitted);
  write_bundle(dir.file("v2.bundle"), 2);
  return event_ids(*q);
}

// The checks after a restart; returns the active version.
uint64_t restart_and_check(const TempDir& dir, const std::set<std::string>& events_before,
                           const std::string& where) {
  SCOPED_TRACE(where);
  const std::string state = dir.file("state");
  auto q = open_queue(state);
  auto agent = Agent::open(testing::agent_options(state, q.get()));
  EXPECT_TRUE(agent.ok());
  Status st = (*agent)->recover();
  EXPECT_TRUE(st.ok()) << st.error().message();
  // As the daemon does next: whatever is still in the inbox (killed before the journal).
  (*agent)->process_inbox(dir.path());
  EXPECT_TRUE(testing::runnable_model_active(**agent));
  EXPECT_FALSE(std::filesystem::exists((*agent)->slots().journal_path()));
  const std::set<std::string> after = event_ids(*q);
  for (const auto& id : events_before) EXPECT_TRUE(after.count(id)) << "event " << id << " lost";
  auto active = (*agent)->active();
  const uint64_t version = active.ok() && *active ? (**active).version : 0;
  EXPECT_TRUE(version == 1 || version == 2) << version;
  // The bundle is gone from the inbox either way: installed, or set aside with a reason.
  if (version == 1) {
    EXPECT_TRUE(std::filesystem::exists((*agent)->slots().rejected_dir() + "/v2.bundle.reason"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("v2.bundle")));
  // Not wedged: the next install goes through.
  write_bundle(dir.file("v3.bundle"), 3);
  EXPECT_EQ((*agent)->install(dir.file("v3.bundle")).outcome, InstallOutcome::kCommitted);
  return version;
}

// The checkpoints of a clean install of version 2 over version 1.
std::vector<std::string> clean_install_checkpoints() {
  TempDir dir;
  prepare(dir);
  auto q = open_queue(dir.file("state"));
  FaultInjector f = FaultInjector::none();
  AgentOptions o = testing::agent_options(dir.file("state"), q.get());
  o.checkpoint = f.checkpoint();
  auto agent = Agent::open(o);
  EXPECT_EQ((*agent)->install(dir.file("v2.bundle")).outcome, InstallOutcome::kCommitted);
  return f.names();
}

TEST(AgentFaults, CleanInstallPassesWriteFsyncAndRenamePoints) {
  const auto names = clean_install_checkpoints();
  std::printf("a clean install passes %zu checkpoints:\n", names.size());
  for (const auto& n : names) std::printf("  %s\n", n.c_str());
  int writes = 0, fsyncs = 0, renames = 0;
  for (const auto& n : names) {
    writes += n.starts_with("write ");
    fsyncs += n.starts_with("fsync ");
    renames += n.starts_with("rename ");
  }
  EXPECT_GE(writes, 5);  // journal steps, three bundle files, manifest, pointer
  EXPECT_GE(fsyncs, 10);
  EXPECT_GE(renames, 5);
}

TEST(AgentFaults, InjectedFailureAtEveryPointLeavesARunnableModel) {
  const size_t total = clean_install_checkpoints().size();
  ASSERT_GT(total, 20u);
  int old_kept = 0, new_active = 0;
  for (size_t n = 1; n <= total; ++n) {
    TempDir dir;
    const auto before = prepare(dir);
    {
      auto q = open_queue(dir.file("state"));
      FaultInjector f = FaultInjector::fail_at(static_cast<int64_t>(n));
      AgentOptions o = testing::agent_options(dir.file("state"), q.get());
      o.checkpoint = f.checkpoint();
      auto agent = Agent::open(o);
      const InstallResult r = (*agent)->install(dir.file("v2.bundle"));
      ASSERT_TRUE(f.fired()) << n;
      EXPECT_NE(r.outcome, InstallOutcome::kRejected) << n;
    }
    const uint64_t v = restart_and_check(dir, before, "failure at checkpoint " + std::to_string(n));
    (v == 1 ? old_kept : new_active)++;
  }
  // Failures before the switch keep version 1; failures after it leave version 2.
  EXPECT_GT(old_kept, 0);
  EXPECT_GT(new_active, 0);
}

TEST(AgentFaults, SigkillAtEveryPointLeavesARunnableModel) {
  const size_t total = clean_install_checkpoints().size();
  int killed = 0;
  for (size_t n = 1; n <= total + 1; ++n) {
    TempDir dir;
    const auto before = prepare(dir);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // the agent process: install with a SIGKILL at checkpoint n
      auto q = open_queue(dir.file("state"));
      FaultInjector f = FaultInjector::kill_at(static_cast<int64_t>(n));
      AgentOptions o = testing::agent_options(dir.file("state"), q.get());
      o.checkpoint = f.checkpoint();
      auto agent = Agent::open(o);
      const InstallResult r = (*agent)->install(dir.file("v2.bundle"));
      ::_exit(r.outcome == InstallOutcome::kCommitted ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (n <= total) {
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "checkpoint " << n;
      ++killed;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "uninterrupted install";
    }
    const uint64_t v = restart_and_check(dir, before, "SIGKILL at checkpoint " + std::to_string(n));
    // Killed before the switch, recovery retries the bundle, and the retry commits.
    EXPECT_EQ(v, 2u) << "checkpoint " << n;
  }
  EXPECT_EQ(static_cast<size_t>(killed), total);
}

TEST(AgentFaults, FaultSpecParsing) {
  EXPECT_TRUE(FaultInjector::parse("kill:3").ok());
  EXPECT_TRUE(FaultInjector::parse("fail:1").ok());
  EXPECT_TRUE(FaultInjector::parse("").ok());
  EXPECT_FALSE(FaultInjector::parse("kill:0").ok());
  EXPECT_FALSE(FaultInjector::parse("explode:2").ok());
  EXPECT_FALSE(FaultInjector::parse("fail:2x").ok());
}

}  // namespace
}  // namespace ledge::agent
