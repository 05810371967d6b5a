// Installs through the agent: commit, rejection, rollback on a failed health check, the
// events each one records, and retries bounded after repeated interruptions.
#include <gtest/gtest.h>

#include <filesystem>

#include "agent/agent.h"
#include "agent/install_journal.h"
#include "agent_fixture.h"
#include "deploy/event_sink.h"

namespace ledge::agent {
namespace {

using testing::BundleKind;
using testing::TempDir;
using testing::write_bundle;

std::vector<std::string> kinds(const deploy::MemoryEventSink& sink) {
  std::vector<std::string> k;
  for (const auto& e : sink.events()) k.push_back(e.kind);
  return k;
}

TEST(AgentInstall, CommitsIntoTheOtherSlotAndRemovesTheBundle) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  auto agent = Agent::open(testing::agent_options(dir.file("state"), &sink));
  ASSERT_TRUE(agent.ok());
  write_bundle(dir.file("v1.bundle"), 1);
  InstallResult r1 = (*agent)->install(dir.file("v1.bundle"));
  EXPECT_EQ(r1.outcome, InstallOutcome::kCommitted) << r1.reason;
  EXPECT_EQ((*(*agent)->active())->slot, "a");
  write_bundle(dir.file("v2.bundle"), 2);
  InstallResult r2 = (*agent)->install(dir.file("v2.bundle"));
  ASSERT_EQ(r2.outcome, InstallOutcome::kCommitted) << r2.reason;
  EXPECT_EQ((*(*agent)->active())->version, 2u);
  EXPECT_EQ((*(*agent)->active())->slot, "b");
  EXPECT_FALSE(std::filesystem::exists(dir.file("v2.bundle")));
  EXPECT_FALSE(std::filesystem::exists((*agent)->slots().journal_path()));
  EXPECT_TRUE(testing::runnable_model_active(**agent));
  const std::vector<InstallState> flow = {InstallState::kVerifying, InstallState::kStaging,
                                          InstallState::kSyncing,   InstallState::kHealthCheck,
                                          InstallState::kSwitching, InstallState::kCommitting,
                                          InstallState::kIdle};
  EXPECT_EQ(r2.path, flow);
  EXPECT_EQ(kinds(sink), (std::vector<std::string>{"install_started", "install_committed",
                                                   "install_started", "install_committed"}));
}

TEST(AgentInstall, OlderOrEqualVersionIsRejectedWithoutTouchingSlots) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  auto agent = Agent::open(testing::agent_options(dir.file("state"), &sink));
  write_bundle(dir.file("v2.bundle"), 2);
  ASSERT_EQ((*agent)->install(dir.file("v2.bundle")).outcome, InstallOutcome::kCommitted);
  write_bundle(dir.file("v1.bundle"), 1);
  InstallResult r = (*agent)->install(dir.file("v1.bundle"));
  EXPECT_EQ(r.outcome, InstallOutcome::kRejected);
  EXPECT_NE(r.reason.find("rollback"), std::string::npos) << r.reason;
  EXPECT_EQ((*(*agent)->active())->version, 2u);
  EXPECT_TRUE(std::filesystem::exists((*agent)->slots().rejected_dir() + "/v1.bundle"));
  EXPECT_TRUE(std::filesystem::exists((*agent)->slots().rejected_dir() + "/v1.bundle.reason"));
  EXPECT_EQ(kinds(sink).back(), "install_rejected");
}

TEST(AgentInstall, TamperedBundleIsRejected) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  auto agent = Agent::open(testing::agent_options(dir.file("state"), &sink));
  write_bundle(dir.file("v1.bundle"), 1, BundleKind::kTampered);
  InstallResult r = (*agent)->install(dir.file("v1.bundle"));
  EXPECT_EQ(r.outcome, InstallOutcome::kRejected);
  EXPECT_NE(r.reason.find("tampered"), std::string::npos) << r.reason;
  EXPECT_FALSE((*(*agent)->active()).has_value());
}

TEST(AgentInstall, FailedHealthCheckRollsBackToThePreviousModel) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  std::vector<uint64_t> served;
  AgentOptions o = testing::agent_options(dir.file("state"), &sink);
  o.on_commit = [&](const ActiveRecord& r, const std::string&) { served.push_back(r.version); };
  auto agent = Agent::open(o);
  write_bundle(dir.file("v1.bundle"), 1);
  ASSERT_EQ((*agent)->install(dir.file("v1.bundle")).outcome, InstallOutcome::kCommitted);
  write_bundle(dir.file("v2.bundle"), 2, BundleKind::kWrongGolden);
  InstallResult r = (*agent)->install(dir.file("v2.bundle"));
  EXPECT_EQ(r.outcome, InstallOutcome::kRolledBack);
  EXPECT_NE(r.reason.find("health check failed"), std::string::npos) << r.reason;
  EXPECT_EQ(r.path.back(), InstallState::kIdle);
  EXPECT_EQ(r.path[r.path.size() - 2], InstallState::kRollingBack);
  EXPECT_EQ((*(*agent)->active())->version, 1u);
  EXPECT_TRUE(testing::runnable_model_active(**agent));
  EXPECT_EQ(served, std::vector<uint64_t>{1});  // the bad model was never served
  // The reason is recorded on disk and reported upstream.
  auto reason = read_file((*agent)->slots().rejected_dir() + "/v2.bundle.reason");
  ASSERT_TRUE(reason.ok());
  EXPECT_NE(reason->find("health check failed"), std::string::npos);
  const auto events = sink.events();
  ASSERT_EQ(events.back().kind, "rollback");
  EXPECT_NE(events.back().payload.find("health check failed"), std::string::npos);
  EXPECT_NE(events.back().payload.find("\"failed_step\":\"health_check\""), std::string::npos)
      << events.back().payload;
  // The same bundle is not retried: it is no longer in the inbox.
  EXPECT_FALSE(std::filesystem::exists(dir.file("v2.bundle")));
}

TEST(AgentInstall, LatencyBudgetIsEnforced) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  auto agent = Agent::open(testing::agent_options(dir.file("state"), &sink));
  const auto& mat = testing::Materials::get();
  deploy::BundleSpec s;
  s.manifest.name = "fashion";
  s.manifest.version = 1;
  s.manifest.expires_at = 4102444800;
  s.manifest.model = "model.ledge";
  s.manifest.latency_budget_ms = 1e-6;  // no model runs in a nanosecond
  deploy::GoldenVector g;
  g.inputs["image"] = "in.npy";
  g.outputs["logits"] = "out.npy";
  s.manifest.golden = {g};
  s.files = {{"model.ledge", mat.model_bytes},
             {"in.npy", mat.golden_input},
             {"out.npy", mat.golden_output}};
  s.keys = {mat.signer.secret};
  s.delegation = mat.delegation;
  ASSERT_TRUE(deploy::create_bundle(s, dir.file("slow.bundle")).ok());
  InstallResult r = (*agent)->install(dir.file("slow.bundle"));
  EXPECT_EQ(r.outcome, InstallOutcome::kRolledBack);
  EXPECT_NE(r.reason.find("over the budget"), std::string::npos) << r.reason;
  EXPECT_FALSE((*(*agent)->active()).has_value());
}

TEST(AgentInstall, InboxIsProcessedInNameOrder) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  auto agent = Agent::open(testing::agent_options(dir.file("state"), &sink));
  std::filesystem::create_directories(dir.file("inbox"));
  write_bundle(dir.file("inbox/b-v2.bundle"), 2);
  write_bundle(dir.file("inbox/a-v1.bundle"), 1);
  write_bundle(dir.file("inbox/c-v3.bundle.partial"), 3);  // still being copied: ignored
  auto results = (*agent)->process_inbox(dir.file("inbox"));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].version, 1u);
  EXPECT_EQ(results[1].version, 2u);
  EXPECT_EQ((*(*agent)->active())->version, 2u);
  EXPECT_TRUE(std::filesystem::exists(dir.file("inbox/c-v3.bundle.partial")));
}

// An install that keeps getting interrupted (a model that crashes the agent in its health
// check, say) is retried at most kMaxInstallAttempts times, then set aside.
TEST(AgentInstall, RepeatedInterruptionsAreNotRetriedForever) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  auto agent = Agent::open(testing::agent_options(dir.file("state"), &sink));
  write_bundle(dir.file("v1.bundle"), 1);
  ASSERT_EQ((*agent)->install(dir.file("v1.bundle")).outcome, InstallOutcome::kCommitted);
  write_bundle(dir.file("v2.bundle"), 2);
  InstallJournal j;
  j.bundle = dir.file("v2.bundle");
  j.version = 2;
  j.slot = "b";
  j.step = "health_check";
  j.attempts = kMaxInstallAttempts;
  ASSERT_TRUE(write_journal((*agent)->slots().journal_path(), j, {}).ok());
  ASSERT_TRUE((*agent)->recover().ok());
  EXPECT_EQ((*(*agent)->active())->version, 1u);
  EXPECT_TRUE(std::filesystem::exists((*agent)->slots().rejected_dir() + "/v2.bundle"));
  EXPECT_FALSE(std::filesystem::exists((*agent)->slots().journal_path()));
  EXPECT_EQ(sink.events().back().kind, "rollback");
  EXPECT_NE(sink.events().back().payload.find("given up"), std::string::npos);

  // One attempt fewer: recovery retries, and the retry commits.
  write_bundle(dir.file("v3.bundle"), 3);
  j.bundle = dir.file("v3.bundle");
  j.version = 3;
  j.attempts = kMaxInstallAttempts - 1;
  ASSERT_TRUE(write_journal((*agent)->slots().journal_path(), j, {}).ok());
  ASSERT_TRUE((*agent)->recover().ok());
  EXPECT_EQ((*(*agent)->active())->version, 3u);
  EXPECT_TRUE(testing::runnable_model_active(**agent));
}

}  // namespace
}  // namespace ledge::agent
