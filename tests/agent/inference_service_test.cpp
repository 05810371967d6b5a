// The local inference service: answers with the active model, swaps to a committed model
// without failing requests in flight, and answers malformed requests with an error.
#include "agent/inference_service.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "agent/agent.h"
#include "agent_fixture.h"
#include "deploy/event_sink.h"

namespace ledge::agent {
namespace {

using testing::TempDir;
using testing::write_bundle;

NamedTensors sample_input() {
  return {{"image", *read_npy(testing::example_dir() + "/sample_0.npy")}};
}

TEST(InferenceService, ServesNothingUntilAModelIsInstalled) {
  TempDir dir;
  auto service = InferenceService::start(dir.file("s.sock"));
  ASSERT_TRUE(service.ok()) << service.error().message();
  auto reply = infer_over_socket(dir.file("s.sock"), sample_input());
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message().find("no model"), std::string::npos);
}

TEST(InferenceService, SwapsModelsWithoutFailingRequests) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  auto service = InferenceService::start(dir.file("s.sock"));
  ASSERT_TRUE(service.ok());
  AgentOptions o = testing::agent_options(dir.file("state"), &sink);
  o.on_commit = [&](const ActiveRecord& r, const std::string& slot) {
    ASSERT_TRUE((*service)->serve(r, slot).ok());
  };
  auto agent = Agent::open(o);
  write_bundle(dir.file("v1.bundle"), 1);
  ASSERT_EQ((*agent)->install(dir.file("v1.bundle")).outcome, InstallOutcome::kCommitted);
  const auto& mat = testing::Materials::get();
  const Tensor golden = *parse_npy(mat.golden_output.data(), mat.golden_output.size());

  // Clients ask continuously while versions 2 and 3 are installed.
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, answered{0}, went_back{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c)
    clients.emplace_back([&] {
      uint64_t last = 0;
      while (!done) {
        auto reply = infer_over_socket(dir.file("s.sock"), sample_input());
        if (!reply.ok() || reply->outputs.size() != 1 ||
            std::memcmp(reply->outputs[0].second.raw(), golden.raw(), golden.nbytes()) != 0) {
          ++failures;
          continue;
        }
        if (reply->version < last) ++went_back;
        last = reply->version;
        ++answered;
      }
    });
  write_bundle(dir.file("v2.bundle"), 2);
  EXPECT_EQ((*agent)->install(dir.file("v2.bundle")).outcome, InstallOutcome::kCommitted);
  write_bundle(dir.file("v3.bundle"), 3);
  EXPECT_EQ((*agent)->install(dir.file("v3.bundle")).outcome, InstallOutcome::kCommitted);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  done = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(went_back, 0);
  EXPECT_GT(answered, 10);
  auto last = infer_over_socket(dir.file("s.sock"), sample_input());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->version, 3u);
  EXPECT_EQ((*service)->stats().swaps, 3);
}

TEST(InferenceService, MalformedRequestGetsAnErrorAndTheServiceGoesOn) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  auto service = InferenceService::start(dir.file("s.sock"));
  AgentOptions o = testing::agent_options(dir.file("state"), &sink);
  o.on_commit = [&](const ActiveRecord& r, const std::string& slot) {
    ASSERT_TRUE((*service)->serve(r, slot).ok());
  };
  auto agent = Agent::open(o);
  write_bundle(dir.file("v1.bundle"), 1);
  ASSERT_EQ((*agent)->install(dir.file("v1.bundle")).outcome, InstallOutcome::kCommitted);

  // Raw garbage, and a request claiming a 2^40-byte tensor.
  for (const std::string& bytes :
       {std::string("GET / HTTP/1.0\r\n\r\n"),
        std::string("LDG1\x01\x00\x00\x00\x05\x00\x00\x00image\x00\x00\x00\x00\x00\x01\x00\x00",
                    4 + 4 + 4 + 5 + 8)}) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, dir.file("s.sock").c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    auto reply = receive_reply(fd);
    ::close(fd);
    EXPECT_FALSE(reply.ok());
  }
  // A wrong input name is the model's error, sent back as one.
  auto wrong = infer_over_socket(dir.file("s.sock"), {{"pixels", sample_input()[0].second}});
  EXPECT_FALSE(wrong.ok());
  auto ok = infer_over_socket(dir.file("s.sock"), sample_input());
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ((*service)->stats().errors, 3);
}

int connect_idle(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// At max_connections, a new client waits for a slot: it is served when one frees up within
// the wait, and answered "busy" when every other client stays connected.
TEST(InferenceService, ConnectionsBeyondTheLimitWaitThenGetBusy) {
  TempDir dir;
  deploy::MemoryEventSink sink;
  ServiceOptions so;
  so.max_connections = 2;
  auto service = InferenceService::start(dir.file("s.sock"), so);
  ASSERT_TRUE(service.ok());
  AgentOptions o = testing::agent_options(dir.file("state"), &sink);
  o.on_commit = [&](const ActiveRecord& r, const std::string& slot) {
    ASSERT_TRUE((*service)->serve(r, slot).ok());
  };
  auto agent = Agent::open(o);
  write_bundle(dir.file("v1.bundle"), 1);
  ASSERT_EQ((*agent)->install(dir.file("v1.bundle")).outcome, InstallOutcome::kCommitted);

  const int a = connect_idle(dir.file("s.sock")), b = connect_idle(dir.file("s.sock"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both accepted
  std::thread closer([a] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::close(a);
  });
  auto served = infer_over_socket(dir.file("s.sock"), sample_input());
  closer.join();
  EXPECT_TRUE(served.ok()) << served.error().message();

  const int c = connect_idle(dir.file("s.sock"));  // b and c stay: the limit again
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto busy = infer_over_socket(dir.file("s.sock"), sample_input());
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.error().message().find("busy"), std::string::npos) << busy.error().message();
  ::close(b);
  ::close(c);
}

}  // namespace
}  // namespace ledge::agent
