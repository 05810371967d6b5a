#include "deploy/event_sink.h"

#include <gtest/gtest.h>

#include <thread>

namespace ledge::deploy {
namespace {

TEST(MemoryEventSink, KeepsEventsInOrderAcrossThreads) {
  MemoryEventSink sink;
  std::thread a([&] {
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(sink.record({"a", std::to_string(i)}));
  });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(sink.record({"b", std::to_string(i)}));
  a.join();
  const auto events = sink.events();
  ASSERT_EQ(events.size(), 200u);
  int next_a = 0, next_b = 0;
  for (const auto& e : events) {
    int& next = e.kind == "a" ? next_a : next_b;
    EXPECT_EQ(e.payload, std::to_string(next++));
  }
  EXPECT_EQ(next_a, 100);
  EXPECT_EQ(next_b, 100);
}

}  // namespace
}  // namespace ledge::deploy
