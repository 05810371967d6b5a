#include "deploy/broker_url.h"

#include <gtest/gtest.h>

namespace ledge::deploy {
namespace {

TEST(BrokerUrl, ParsesHostAndPort) {
  auto a = parse_broker_url("mqtt://127.0.0.1:1883");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 1883);
  auto b = parse_broker_url("mqtt://broker.example-fleet.net:65535");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "broker.example-fleet.net");
  EXPECT_EQ(b->port, 65535);
}

TEST(BrokerUrl, RefusesEverythingElseWithAReason) {
  for (const char* bad :
       {"", "127.0.0.1:1883", "tcp://h:1", "mqtts://h:8883", "mqtt://h",
        "mqtt://h:", "mqtt://:1883", "mqtt://h:0", "mqtt://h:65536", "mqtt://h:123456",
        "mqtt://h:12a", "mqtt://h:-1", "mqtt://user@h:1883", "mqtt://h:1883/path",
        "mqtt://h:1883?x=1", "mqtt://[::1]:1883", "MQTT://h:1883", "mqtt://h h:1"}) {
    auto r = parse_broker_url(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(r.error().message().find("broker URL"), std::string::npos) << bad;
    EXPECT_EQ(r.error().message().find('\n'), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace ledge::deploy
