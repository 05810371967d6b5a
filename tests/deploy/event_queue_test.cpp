#include "deploy/event_queue.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "../common/temp_dir.h"

namespace ledge::deploy {
namespace {

using ledge::testing::TempDir;

std::unique_ptr<EventQueue> open_or_die(const std::string& path, QueueLimits limits = {},
                                        QueueHooks hooks = {}) {
  auto q = EventQueue::open(path, limits, std::move(hooks));
  EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().message());
  return q.ok() ? std::move(*q) : nullptr;
}

std::string payload(int i) { return "{\"i\":" + std::to_string(i) + "}"; }

TEST(EventQueue, KeepsEventsInOrderAcrossReopenAndAckDeletes) {
  TempDir dir;
  const std::string path = dir.file("telemetry.db");
  std::string device;
  {
    auto q = open_or_die(path);
    ASSERT_TRUE(q);
    device = q->device_id();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(q->record({"tick", payload(i)}));
  }
  auto q = open_or_die(path);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->device_id(), device);  // kept in the file
  EXPECT_EQ(device.rfind("dev-", 0), 0u);
  auto all = q->peek(100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 10u);
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ((*all)[i].payload, payload(i));
    EXPECT_EQ((*all)[i].kind, "tick");
    EXPECT_EQ((*all)[i].id.size(), 32u);
    ids.insert((*all)[i].id);
    if (i) {
      EXPECT_GT((*all)[i].seq, (*all)[i - 1].seq);
    }
  }
  EXPECT_EQ(ids.size(), 10u);
  auto after = q->peek(3, (*all)[4].seq);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 3u);
  EXPECT_EQ((*after)[0].payload, payload(5));

  ASSERT_TRUE(q->ack({(*all)[0].id, (*all)[1].id, "not-an-id"}));
  ASSERT_TRUE(q->ack({(*all)[0].id}));  // a second ack of the same id is harmless
  auto s = q->stats();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->count, 8);
  auto rest = q->peek(1);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ((*rest)[0].payload, payload(2));
}

TEST(EventQueue, RefusesBadKindsAndPayloads) {
  TempDir dir;
  auto q = open_or_die(dir.file("q.db"));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->record({"a/b", "{}"}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(q->record({"", "{}"}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(q->record({"ok", "[1]"}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(q->record({"ok", "{\"a\":"}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(q->record({"ok", "{\"a\":1}"}));
  EXPECT_EQ(q->stats()->count, 1);
}

TEST(EventQueue, SizeCapDropsOldestCountsAndLogs) {
  TempDir dir;
  std::vector<std::string> lines;
  QueueHooks hooks;
  hooks.log = [&](const std::string& l) { lines.push_back(l); };
  const QueueLimits limits{2000, 0};
  {
    auto q = open_or_die(dir.file("q.db"), limits, hooks);
    ASSERT_TRUE(q);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(q->record({"tick", payload(i)}));
    EXPECT_EQ(q->record({"big", "{\"x\":\"" + std::string(3000, 'x') + "\"}"}).error().code(),
              ErrorCode::kResourceLimit);
  }
  auto q = open_or_die(dir.file("q.db"), limits, hooks);
  ASSERT_TRUE(q);
  auto s = q->stats();
  ASSERT_TRUE(s.ok());
  EXPECT_LE(s->bytes, limits.max_bytes);
  EXPECT_GT(s->count, 0);
  EXPECT_EQ(s->count + s->dropped_by_size, 100);  // persisted across the reopen
  auto left = q->peek(1000);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(static_cast<int64_t>(left->size()), s->count);
  for (size_t i = 0; i < left->size(); ++i)  // the newest survive, in order
    EXPECT_EQ((*left)[i].payload, payload(static_cast<int>(100 - left->size() + i)));
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find("size cap of 2000 bytes"), std::string::npos) << lines[0];
  EXPECT_LE(lines.size(), 2u);  // throttled, not one line per dropped event
}

TEST(EventQueue, AgeCapDropsExpiredEvents) {
  TempDir dir;
  int64_t now = 1'000'000'000'000;
  QueueHooks hooks;
  hooks.now_ms = [&] { return now; };
  hooks.log = [](const std::string&) {};
  auto q = open_or_die(dir.file("q.db"), QueueLimits{1 << 20, 60}, hooks);
  ASSERT_TRUE(q);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q->record({"old", payload(i)}));
  now += 30'000;
  ASSERT_TRUE(q->record({"young", payload(5)}));
  now += 31'000;  // the first five are now 61 s old
  auto left = q->peek(10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].kind, "young");
  EXPECT_EQ(q->stats()->dropped_by_age, 5);
}

TEST(EventQueue, ThreadsRecordConcurrently) {
  TempDir dir;
  auto q = open_or_die(dir.file("q.db"));
  ASSERT_TRUE(q);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) EXPECT_TRUE(q->record({"t" + std::to_string(t), payload(i)}));
    });
  for (auto& t : threads) t.join();
  auto all = q->peek(1000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 100u);
  std::map<std::string, int> next;
  for (const auto& e : *all) EXPECT_EQ(e.payload, payload(next[e.kind]++));  // per-thread order
}

void expect_quarantine(const std::string& damage) {
  TempDir dir;
  const std::string path = dir.file("telemetry.db");
  {
    auto q = open_or_die(path);
    ASSERT_TRUE(q);
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(q->record({"tick", payload(i)}));
  }
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  if (damage == "garbage") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(10000, '\x5a');
  } else {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  }
  std::vector<std::string> lines;
  QueueHooks hooks;
  hooks.log = [&](const std::string& l) { lines.push_back(l); };
  auto q = open_or_die(path, {}, hooks);
  ASSERT_TRUE(q) << damage;
  ASSERT_FALSE(q->quarantined_to().empty()) << damage;
  EXPECT_TRUE(std::filesystem::exists(q->quarantined_to()));
  EXPECT_NE(q->quarantined_to().find("telemetry.db.corrupt-"), std::string::npos);
  auto events = q->peek(10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "queue_quarantined");
  EXPECT_EQ(q->stats()->quarantined, 1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("moved to"), std::string::npos);
  EXPECT_TRUE(q->record({"tick", payload(1)}));  // usable again
}

TEST(EventQueue, GarbageFileIsQuarantined) { expect_quarantine("garbage"); }
TEST(EventQueue, TruncatedFileIsQuarantined) { expect_quarantine("truncate"); }

TEST(EventQueue, UnusableDirectoryIsAnErrorNotACrash) {
  auto q = EventQueue::open("/nonexistent-dir/telemetry.db", {});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code(), ErrorCode::kIo);
}

// A process killed in the middle of recording loses nothing whose record() returned: the child
// reports each returned record on a pipe, the parent kills it mid-stream and checks the file.
TEST(EventQueue, EveryReturnedRecordSurvivesSigkill) {
  TempDir dir;
  const std::string path = dir.file("telemetry.db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    auto q = EventQueue::open(path, {});
    if (!q.ok()) _exit(3);
    for (int i = 0;; ++i) {
      if (!(*q)->record({"tick", payload(i)})) _exit(4);
      if (write(fds[1], &i, sizeof i) != sizeof i) _exit(5);
    }
  }
  close(fds[1]);
  int last = -1, value = 0;
  while (last < 150 && read(fds[0], &value, sizeof value) == sizeof value) last = value;
  kill(child, SIGKILL);
  while (read(fds[0], &value, sizeof value) == sizeof value) last = value;
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself, status " << status;
  ASSERT_GE(last, 150);

  auto q = open_or_die(path);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->quarantined_to().empty());
  auto all = q->peek(100000);
  ASSERT_TRUE(all.ok());
  ASSERT_GE(static_cast<int>(all->size()), last + 1);
  for (int i = 0; i <= last; ++i) EXPECT_EQ((*all)[i].payload, payload(i));
}

}  // namespace
}  // namespace ledge::deploy
