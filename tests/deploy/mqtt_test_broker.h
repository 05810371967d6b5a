// Test fixtures for the MQTT tests: Debian's mosquitto broker on a free 127.0.0.1 port, and a
// QoS 1 subscriber that keeps every message it receives.
//
//   TempDir dir;
//   TestBroker broker(dir.path());
//   ASSERT_TRUE(broker.start());          // waits until it accepts connections
//   TestReceiver receiver("ledge/#");
//   ASSERT_TRUE(receiver.connect(broker.port()));
//   ... receiver.wait_for([](auto& msgs) { return msgs.size() >= 10; }, 10s) ...
//
// The broker is stopped by stop() and by the destructor (so also when an assertion fails).
// With `persistent`, the broker keeps sessions across a stop()/start() on the same port, and
// the receiver should use a persistent session, so messages published while it reconnects
// wait for it instead of being lost.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace ledge::deploy::testing {

class TestBroker {
 public:
  explicit TestBroker(std::string dir, bool persistent = false);
  ~TestBroker();
  TestBroker(const TestBroker&) = delete;
  TestBroker& operator=(const TestBroker&) = delete;

  // Starts mosquitto (on a fresh free port the first time, the same port afterwards) and
  // waits up to 5 s until it accepts TCP connections.
  bool start();
  // SIGTERM (a persistent broker saves its sessions), then SIGKILL after 3 s.
  void stop();
  int port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  bool persistent_;
  int port_ = 0;
  pid_t pid_ = -1;
};

struct ReceivedMessage {
  std::string topic;
  std::string payload;  // the raw message
  std::string id;       // "id" of an event message, else empty
  std::string kind;
  int64_t seq = 0;
  int64_t i = -1;  // payload.i of an event, when present (the tests number their events)
};

class TestReceiver {
 public:
  explicit TestReceiver(std::string topic_filter, std::string client_id = "",
                        bool persistent_session = false);
  ~TestReceiver();
  TestReceiver(const TestReceiver&) = delete;
  TestReceiver& operator=(const TestReceiver&) = delete;

  // Connects and waits until the subscription is acknowledged (5 s at most). Reconnects by
  // itself (and subscribes again) when the broker goes away and comes back.
  bool connect(int port);
  bool wait_for(const std::function<bool(const std::vector<ReceivedMessage>&)>& done,
                std::chrono::milliseconds timeout);
  std::vector<ReceivedMessage> messages() const;

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* qos);
  static void on_message(mosquitto*, void* self, const mosquitto_message* m);

  std::string filter_;
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool subscribed_ = false;
  std::vector<ReceivedMessage> messages_;
};

}  // namespace ledge::deploy::testing
