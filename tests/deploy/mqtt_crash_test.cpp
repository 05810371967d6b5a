// The uplink's process is killed (SIGKILL) in the middle of a drain and started again: every
// event still arrives. An event leaves the queue only after the broker acknowledged it, so the
// ones the killed process deleted had all arrived.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "../common/temp_dir.h"
#include "deploy/mqtt_uplink.h"
#include "mqtt_test_broker.h"

namespace ledge::deploy {
namespace {

using namespace std::chrono_literals;
using ledge::testing::TempDir;
using testing::ReceivedMessage;
using testing::TestBroker;
using testing::TestReceiver;

std::set<int64_t> unique_events(const std::vector<ReceivedMessage>& msgs) {
  std::set<int64_t> seen;
  for (const auto& m : msgs)
    if (m.kind == "tick") seen.insert(m.i);
  return seen;
}

TEST(MqttCrash, KilledUplinkRestartsAndLosesNothing) {
  TempDir dir;
  TestBroker broker(dir.path());
  ASSERT_TRUE(broker.start());
  const std::string path = dir.file("telemetry.db");
  constexpr int kEvents = 600;
  {
    auto queue = EventQueue::open(path, {});
    ASSERT_TRUE(queue.ok());
    for (int i = 0; i < kEvents; ++i)
      ASSERT_TRUE((*queue)->record({"tick", "{\"i\":" + std::to_string(i) + "}"}));
  }  // closed before the fork: a connection must not cross it

  // The child forks before this process starts any thread, and waits for the go.
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(2);
    auto queue = EventQueue::open(path, {});
    if (!queue.ok()) _exit(3);
    UplinkOptions o;
    o.broker = {"127.0.0.1", broker.port()};
    o.max_inflight = 1;  // one at a time: slow enough to be killed half way
    o.log = [](const std::string&) {};
    auto uplink = MqttUplink::create(**queue, o);
    if (!uplink.ok()) _exit(4);
    _exit((*uplink)->drain(30s).ok() ? 0 : 5);
  }
  close(go[0]);
  struct Reaper {  // the child dies with the test, also when an assertion fails
    pid_t pid;
    ~Reaper() {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  } reaper{child};

  TestReceiver receiver("ledge/+/events/#");
  ASSERT_TRUE(receiver.connect(broker.port()));
  ASSERT_EQ(write(go[1], "g", 1), 1);
  close(go[1]);
  ASSERT_TRUE(receiver.wait_for([](auto& m) { return unique_events(m).size() >= 50; }, 10s));
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  reaper.pid = -1;
  ASSERT_TRUE(WIFSIGNALED(status)) << "the uplink finished before it could be killed";

  auto queue = EventQueue::open(path, {});
  ASSERT_TRUE(queue.ok());
  const auto left = (*queue)->stats();
  ASSERT_TRUE(left.ok());
  ASSERT_GT(left->count, 0);
  // What the killed uplink deleted had all been received (acknowledged means delivered).
  receiver.wait_for(
      [&](auto& m) {
        return static_cast<int64_t>(unique_events(m).size()) >= kEvents - left->count;
      },
      2s);
  EXPECT_GE(static_cast<int64_t>(unique_events(receiver.messages()).size()), kEvents - left->count);

  UplinkOptions o;
  o.broker = {"127.0.0.1", broker.port()};
  o.log = [](const std::string&) {};
  auto uplink = MqttUplink::create(**queue, o);
  ASSERT_TRUE(uplink.ok());
  const Status drained = (*uplink)->drain(10s);
  ASSERT_TRUE(drained.ok()) << drained.error().message();
  ASSERT_TRUE(receiver.wait_for([](auto& m) { return unique_events(m).size() >= kEvents; }, 5s));
  const auto seen = unique_events(receiver.messages());
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), kEvents - 1);
  EXPECT_EQ((*queue)->stats()->count, 0);
}

}  // namespace
}  // namespace ledge::deploy
