#include "mqtt_test_broker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace ledge::deploy::testing {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A port the kernel just handed out for 127.0.0.1 (free now; the broker binds it right after).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

bool accepts_connections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a = loopback(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

std::once_flag init_once;

}  // namespace

TestBroker::TestBroker(std::string dir, bool persistent)
    : dir_(std::move(dir)), persistent_(persistent) {}

TestBroker::~TestBroker() { stop(); }

bool TestBroker::start() {
  if (pid_ > 0) return true;
  if (port_ == 0) port_ = free_port();
  if (port_ == 0) return false;
  const std::string conf = dir_ + "/mosquitto.conf";
  {
    std::ofstream out(conf);
    out << "listener " << port_ << " 127.0.0.1\n"
        << "allow_anonymous true\n"
        << "log_dest file " << dir_ << "/mosquitto.log\n"
        << "max_queued_messages 100000\n";
    if (persistent_)
      out << "persistence true\npersistence_location " << dir_ << "/\n";
    else
      out << "persistence false\n";
    if (geteuid() == 0) out << "user root\n";  // else it switches to 'mosquitto' and cannot log
  }
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    // Its console output (a warning about root, say) goes to a file, not into the test log.
    const int out = ::open((dir_ + "/mosquitto.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out >= 0) {
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
    }
    execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 250; ++i) {
    if (accepts_connections(port_)) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken, say
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  return false;
}

void TestBroker::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

TestReceiver::TestReceiver(std::string topic_filter, std::string client_id, bool persistent_session)
    : filter_(std::move(topic_filter)) {
  std::call_once(init_once, [] { mosquitto_lib_init(); });
  mosq_ = mosquitto_new(client_id.empty() ? nullptr : client_id.c_str(), !persistent_session, this);
  if (!mosq_) return;
  mosquitto_connect_callback_set(mosq_, on_connect);
  mosquitto_subscribe_callback_set(mosq_, on_subscribe);
  mosquitto_message_callback_set(mosq_, on_message);
  mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
}

TestReceiver::~TestReceiver() {
  if (!mosq_) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, true);
  mosquitto_destroy(mosq_);
}

bool TestReceiver::connect(int port) {
  if (!mosq_) return false;
  if (mosquitto_connect(mosq_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) return false;
  if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) return false;
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::seconds(5), [&] { return subscribed_; });
}

void TestReceiver::on_connect(mosquitto* m, void* self, int rc) {
  auto* r = static_cast<TestReceiver*>(self);
  if (rc == 0) mosquitto_subscribe(m, nullptr, r->filter_.c_str(), 1);
}

void TestReceiver::on_subscribe(mosquitto*, void* self, int, int, const int*) {
  auto* r = static_cast<TestReceiver*>(self);
  std::lock_guard lock(r->mutex_);
  r->subscribed_ = true;
  r->changed_.notify_all();
}

void TestReceiver::on_message(mosquitto*, void* self, const mosquitto_message* m) {
  auto* r = static_cast<TestReceiver*>(self);
  ReceivedMessage msg;
  msg.topic = m->topic;
  msg.payload.assign(static_cast<const char*>(m->payload), static_cast<size_t>(m->payloadlen));
  const auto j = nlohmann::json::parse(msg.payload, nullptr, false);
  if (j.is_object()) {
    if (j.contains("id") && j["id"].is_string()) msg.id = j["id"];
    if (j.contains("kind") && j["kind"].is_string()) msg.kind = j["kind"];
    if (j.contains("seq") && j["seq"].is_number_integer()) msg.seq = j["seq"];
    if (j.contains("payload") && j["payload"].is_object() && j["payload"].contains("i") &&
        j["payload"]["i"].is_number_integer())
      msg.i = j["payload"]["i"];
  }
  std::lock_guard lock(r->mutex_);
  r->messages_.push_back(std::move(msg));
  r->changed_.notify_all();
}

bool TestReceiver::wait_for(const std::function<bool(const std::vector<ReceivedMessage>&)>& done,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(messages_); });
}

std::vector<ReceivedMessage> TestReceiver::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

}  // namespace ledge::deploy::testing
