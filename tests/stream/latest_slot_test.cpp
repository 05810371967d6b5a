// The latest-frame slot (src/stream/latest_slot.h): the newest frame wins, every overwritten
// frame is counted, lock-step hands over every frame, close ends the consumer.
#include "stream/latest_slot.h"

#include <gtest/gtest.h>

#include <thread>

namespace ledge::stream {
namespace {

Frame frame(int64_t seq) {
  Frame f;
  f.seq = seq;
  f.captured = Clock::now();
  return f;
}

TEST(LatestSlot, TheNewestFrameWinsAndTheRestAreCounted) {
  LatestSlot slot;
  for (int64_t i = 0; i < 5; ++i) EXPECT_TRUE(slot.publish(frame(i)));
  SlotCounts c = slot.counts();
  EXPECT_EQ(c.published, 5);
  EXPECT_EQ(c.skipped, 4);
  EXPECT_EQ(c.pending, 1);
  auto f = slot.take();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->seq, 4);
  slot.publish(frame(5));
  c = slot.counts();
  EXPECT_EQ(c.published, c.taken + c.skipped + c.pending);
  EXPECT_EQ(c.taken, 1);
  EXPECT_EQ(c.skipped, 4);
}

TEST(LatestSlot, CloseLetsThePendingFrameOutThenEnds) {
  LatestSlot slot;
  slot.publish(frame(0));
  slot.close();
  EXPECT_FALSE(slot.publish(frame(1)));  // refused and not counted
  auto f = slot.take();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->seq, 0);
  EXPECT_FALSE(slot.take());
  EXPECT_EQ(slot.counts().published, 1);
}

TEST(LatestSlot, CloseWakesAWaitingConsumer) {
  LatestSlot slot;
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    slot.close();
  });
  EXPECT_FALSE(slot.take());
  closer.join();
}

TEST(LatestSlot, LockStepHandsOverEveryFrame) {
  LatestSlot slot;
  std::thread producer([&] {
    for (int64_t i = 0; i < 50; ++i) ASSERT_TRUE(slot.publish_when_taken(frame(i)));
    slot.close();
  });
  int64_t expected = 0;
  while (auto f = slot.take()) {
    EXPECT_EQ(f->seq, expected++);
    if (expected % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  producer.join();
  EXPECT_EQ(expected, 50);
  EXPECT_EQ(slot.counts().skipped, 0);
}

}  // namespace
}  // namespace ledge::stream
