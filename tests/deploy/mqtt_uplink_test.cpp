// The uplink against a real broker (Debian's mosquitto): in-order delivery, deletion after the
// acknowledgement, the privacy default, and a size-capped queue reporting its drops.
#include "deploy/mqtt_uplink.h"

#include <gtest/gtest.h>

#include <set>

#include "../common/temp_dir.h"
#include "mqtt_test_broker.h"

namespace ledge::deploy {
namespace {

using namespace std::chrono_literals;
using ledge::testing::TempDir;
using testing::ReceivedMessage;
using testing::TestBroker;
using testing::TestReceiver;

std::string payload(int i) { return "{\"i\":" + std::to_string(i) + "}"; }

UplinkOptions options_for(const TestBroker& broker, std::vector<std::string>* log = nullptr) {
  UplinkOptions o;
  o.broker = {"127.0.0.1", broker.port()};
  o.backoff_initial_seconds = 0.05;
  o.backoff_max_seconds = 0.5;
  o.log = [log](const std::string& line) {
    if (log) log->push_back(line);
  };
  return o;
}

size_t count_kind(const std::vector<ReceivedMessage>& msgs, const std::string& kind) {
  size_t n = 0;
  for (const auto& m : msgs) n += m.kind == kind;
  return n;
}

TEST(MqttUplink, DeliversEveryEventInOrderAndEmptiesTheQueue) {
  TempDir dir;
  TestBroker broker(dir.path());
  ASSERT_TRUE(broker.start());
  TestReceiver receiver("ledge/#");
  ASSERT_TRUE(receiver.connect(broker.port()));

  auto queue = EventQueue::open(dir.file("telemetry.db"), {});
  ASSERT_TRUE(queue.ok());
  constexpr int kEvents = 200;
  for (int i = 0; i < kEvents; ++i) ASSERT_TRUE((*queue)->record({"tick", payload(i)}));
  auto uplink = MqttUplink::create(**queue, options_for(broker));
  ASSERT_TRUE(uplink.ok());
  const Status drained = (*uplink)->drain(10s);
  ASSERT_TRUE(drained.ok()) << drained.error().message();
  EXPECT_EQ((*queue)->stats()->count, 0);  // deleted only after PUBACK, and all were acked

  ASSERT_TRUE(receiver.wait_for([](auto& m) { return count_kind(m, "tick") >= kEvents; }, 5s));
  const auto msgs = receiver.messages();
  const std::string topic = "ledge/" + (*queue)->device_id() + "/events/tick";
  int next = 0;
  std::set<std::string> ids;
  for (const auto& m : msgs) {
    if (m.kind != "tick") continue;
    EXPECT_EQ(m.topic, topic);
    EXPECT_EQ(m.i, next++);  // in order, no duplicates on a steady connection
    EXPECT_EQ(m.id.size(), 32u);
    ids.insert(m.id);
  }
  EXPECT_EQ(next, kEvents);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kEvents));
  const auto s = (*uplink)->stats();
  EXPECT_EQ(s.acknowledged, kEvents);
  EXPECT_EQ(s.connects, 1);
}

TEST(MqttUplink, RawInputsStayOnTheDeviceUnlessAllowed) {
  TempDir dir;
  TestBroker broker(dir.path());
  ASSERT_TRUE(broker.start());
  TestReceiver receiver("ledge/#");
  ASSERT_TRUE(receiver.connect(broker.port()));
  auto queue = EventQueue::open(dir.file("telemetry.db"), {});
  ASSERT_TRUE(queue.ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE((*queue)->record({"raw_input", payload(i)}));
    ASSERT_TRUE((*queue)->record({"tick", payload(i)}));
  }
  std::vector<std::string> log;
  {
    auto uplink = MqttUplink::create(**queue, options_for(broker, &log));
    ASSERT_TRUE(uplink.ok());
    ASSERT_TRUE((*uplink)->drain(10s).ok());
    EXPECT_EQ((*uplink)->stats().refused_raw, 10);
  }
  ASSERT_TRUE(receiver.wait_for([](auto& m) { return count_kind(m, "tick") >= 10; }, 5s));
  EXPECT_EQ(count_kind(receiver.messages(), "raw_input"), 0u);
  auto s = (*queue)->stats();
  EXPECT_EQ(s->count, 0);  // deleted unsent, not left to block the queue
  EXPECT_EQ(s->refused_raw, 10);
  bool logged = false;
  for (const auto& l : log) logged |= l.find("raw event(s) deleted unsent") != std::string::npos;
  EXPECT_TRUE(logged);

  // Configured to allow them, they go like any event.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*queue)->record({"raw_input", payload(i)}));
  auto o = options_for(broker);
  o.allow_raw = true;
  auto uplink = MqttUplink::create(**queue, o);
  ASSERT_TRUE(uplink.ok());
  ASSERT_TRUE((*uplink)->drain(10s).ok());
  ASSERT_TRUE(receiver.wait_for([](auto& m) { return count_kind(m, "raw_input") >= 3; }, 5s));
}

TEST(MqttUplink, SizeCappedQueueRespectsTheCapAndReportsDrops) {
  TempDir dir;
  TestBroker broker(dir.path());
  ASSERT_TRUE(broker.start());
  TestReceiver receiver("ledge/#");
  ASSERT_TRUE(receiver.connect(broker.port()));
  std::vector<std::string> queue_log;
  QueueHooks hooks;
  hooks.log = [&](const std::string& l) { queue_log.push_back(l); };
  const QueueLimits limits{4000, 0};
  auto queue = EventQueue::open(dir.file("telemetry.db"), limits, hooks);
  ASSERT_TRUE(queue.ok());
  constexpr int kEvents = 300;  // ~110 bytes each: far more than 4000 bytes
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE((*queue)->record({"tick", payload(i)}));
    ASSERT_LE((*queue)->stats()->bytes, limits.max_bytes);
  }
  const auto before = (*queue)->stats();
  ASSERT_TRUE(before.ok());
  EXPECT_GT(before->dropped_by_size, 0);
  EXPECT_EQ(before->count + before->dropped_by_size, kEvents);
  ASSERT_FALSE(queue_log.empty());
  EXPECT_NE(queue_log[0].find("dropped"), std::string::npos);
  EXPECT_NE(queue_log[0].find("size cap of 4000 bytes"), std::string::npos);

  auto uplink = MqttUplink::create(**queue, options_for(broker));
  ASSERT_TRUE(uplink.ok());
  ASSERT_TRUE((*uplink)->drain(10s).ok());
  const auto survivors = static_cast<size_t>(before->count);
  ASSERT_TRUE(receiver.wait_for(
      [&](auto& m) {
        bool stats = false;
        for (const auto& x : m) stats |= x.topic.ends_with("/stats");
        return stats && count_kind(m, "tick") >= survivors;
      },
      5s));
  int64_t first = -1;
  for (const auto& m : receiver.messages()) {
    if (m.topic.ends_with("/stats")) {
      const std::string want = "\"dropped_by_size\":" + std::to_string(before->dropped_by_size);
      EXPECT_NE(m.payload.find(want), std::string::npos) << m.payload;
    } else if (first < 0) {
      first = m.i;
    }
  }
  EXPECT_EQ(first, kEvents - before->count);  // the oldest were the ones dropped
}

TEST(MqttUplink, DrainTimesOutWithAReasonWhenNoBrokerListens) {
  TempDir dir;
  TestBroker broker(dir.path());  // never started: only its free port is used
  ASSERT_TRUE(broker.start());
  broker.stop();
  auto queue = EventQueue::open(dir.file("telemetry.db"), {});
  ASSERT_TRUE(queue.ok());
  ASSERT_TRUE((*queue)->record({"tick", payload(1)}));
  std::vector<std::string> log;
  auto uplink = MqttUplink::create(**queue, options_for(broker, &log));
  ASSERT_TRUE(uplink.ok());
  const Status st = (*uplink)->drain(1s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kIo);
  EXPECT_NE(st.error().message().find("1 event(s) still queued"), std::string::npos)
      << st.error().message();
  EXPECT_GE((*uplink)->stats().connect_failures, 2);  // it kept trying, backing off
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log[0].find("retrying in"), std::string::npos) << log[0];
  EXPECT_EQ((*queue)->stats()->count, 1);  // nothing lost
}

TEST(MqttUplink, RefusesBadOptions) {
  TempDir dir;
  auto queue = EventQueue::open(dir.file("telemetry.db"), {});
  ASSERT_TRUE(queue.ok());
  UplinkOptions o;
  o.broker = {"127.0.0.1", 1883};
  o.device_id = "a/b";
  EXPECT_EQ(MqttUplink::create(**queue, o).error().code(), ErrorCode::kInvalidArgument);
  o.device_id = "";
  o.max_inflight = 0;
  EXPECT_EQ(MqttUplink::create(**queue, o).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ledge::deploy
