// The broker goes away while events keep coming, and returns on the same port: the uplink
// reconnects by itself and every event arrives; resends (QoS 1 allows them) carry the same id.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <set>
#include <thread>

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

std::string payload(int i) { return "{\"i\":" + std::to_string(i) + "}"; }

std::set<std::string> unique_ids(const std::vector<ReceivedMessage>& msgs) {
  std::set<std::string> ids;
  for (const auto& m : msgs)
    if (m.kind == "tick") ids.insert(m.id);
  return ids;
}

TEST(MqttReconnect, EveryEventArrivesAfterTheBrokerComesBack) {
  TempDir dir;
  TestBroker broker(dir.path(), /*persistent=*/true);
  ASSERT_TRUE(broker.start());
  // A persistent session: what the uplink sends while the receiver reconnects waits for it.
  TestReceiver receiver("ledge/+/events/#", "receiver-" + std::to_string(getpid()),
                        /*persistent_session=*/true);
  ASSERT_TRUE(receiver.connect(broker.port()));

  auto queue = EventQueue::open(dir.file("telemetry.db"), {});
  ASSERT_TRUE(queue.ok());
  UplinkOptions o;
  o.broker = {"127.0.0.1", broker.port()};
  o.backoff_initial_seconds = 0.05;
  o.backoff_max_seconds = 0.4;
  std::vector<std::string> log;
  std::mutex log_mutex;
  o.log = [&](const std::string& l) {
    std::lock_guard lock(log_mutex);
    log.push_back(l);
  };
  auto uplink = MqttUplink::create(**queue, o);
  ASSERT_TRUE(uplink.ok());
  ASSERT_TRUE((*uplink)->start());

  constexpr int kBefore = 50, kDuring = 100, kAfter = 50;
  int next = 0;
  for (; next < kBefore; ++next) ASSERT_TRUE((*queue)->record({"tick", payload(next)}));
  ASSERT_TRUE(receiver.wait_for([](auto& m) { return unique_ids(m).size() >= kBefore; }, 5s));

  broker.stop();
  for (; next < kBefore + kDuring; ++next) {  // recorded while the broker is away
    ASSERT_TRUE((*queue)->record({"tick", payload(next)}));
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_FALSE((*uplink)->stats().connected);
  EXPECT_GE((*queue)->stats()->count, kDuring);  // kept, not dropped
  ASSERT_TRUE(broker.start());                   // same port
  for (; next < kBefore + kDuring + kAfter; ++next)
    ASSERT_TRUE((*queue)->record({"tick", payload(next)}));

  const size_t total = kBefore + kDuring + kAfter;
  ASSERT_TRUE(receiver.wait_for([&](auto& m) { return unique_ids(m).size() >= total; }, 10s))
      << unique_ids(receiver.messages()).size() << " of " << total << " arrived";
  // Drained: the queue empties once the broker acknowledged everything.
  for (int i = 0; i < 100 && (*queue)->stats()->count > 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ((*queue)->stats()->count, 0);
  (*uplink)->stop();

  // After de-duplication by id: every event exactly once, first arrivals in recording order.
  std::map<std::string, int> seen;
  int expected = 0, duplicates = 0;
  for (const auto& m : receiver.messages()) {
    if (m.kind != "tick") continue;
    if (seen.count(m.id)) {
      ++duplicates;
      EXPECT_EQ(seen[m.id], m.i);  // a resend is the same event
      continue;
    }
    seen[m.id] = static_cast<int>(m.i);
    EXPECT_EQ(m.i, expected++);
  }
  EXPECT_EQ(expected, static_cast<int>(total));
  RecordProperty("duplicates", duplicates);
  std::printf("duplicates after the reconnect: %d\n", duplicates);
  EXPECT_GE((*uplink)->stats().connects, 2);
  std::lock_guard lock(log_mutex);
  bool logged_loss = false;
  for (const auto& l : log) logged_loss |= l.find("retrying in") != std::string::npos;
  EXPECT_TRUE(logged_loss);
}

}  // namespace
}  // namespace ledge::deploy
