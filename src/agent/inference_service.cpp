#include "agent/inference_service.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <utility>

#include "artifact/artifact.h"
#include "runtime/session.h"

namespace ledge::agent {

struct InferenceService::Served {
  ActiveRecord record;
  std::unique_ptr<Session> session;  // owns the model: a second owner would keep every weight
  std::mutex run_mutex;  // one run at a time per session (its arena is shared by its runs)
};

namespace {

Expected<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    return invalid_argument("socket path '" + path + "': empty or longer than " +
                            std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

void set_timeouts(int fd, int seconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

InferenceService::InferenceService(std::string path, int listen_fd, ServiceOptions options)
    : path_(std::move(path)), listen_fd_(listen_fd), options_(options) {}

Expected<std::unique_ptr<InferenceService>> InferenceService::start(const std::string& path,
                                                                    ServiceOptions options) {
  LEDGE_ASSIGN(sockaddr_un addr, socket_address(path));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error(std::string("socket: ") + std::strerror(errno));
  ::unlink(path.c_str());  // a socket file left by a previous run
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    const int e = errno;
    ::close(fd);
    return io_error(path + ": cannot listen: " + std::strerror(e));
  }
  std::unique_ptr<InferenceService> s(new InferenceService(path, fd, options));
  if (::pipe2(s->wake_pipe_, O_CLOEXEC) != 0) return io_error("pipe failed");
  s->acceptor_ = std::thread([p = s.get()] { p->accept_loop(); });
  return s;
}

InferenceService::~InferenceService() { stop(); }

void InferenceService::stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard lock(mutex_);  // wakes an acceptor waiting for a free slot
    all_closed_.notify_all();
  }
  const char byte = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_pipe_[1], &byte, 1);
  if (acceptor_.joinable()) acceptor_.join();
  std::unique_lock lock(mutex_);
  for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  all_closed_.wait(lock, [this] { return connections_.empty(); });
  lock.unlock();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  ::unlink(path_.c_str());
}

Status InferenceService::serve(const ActiveRecord& record, const std::string& slot_dir) {
  auto served = std::make_shared<Served>();
  served->record = record;
  LEDGE_ASSIGN(auto model, load_artifact(slot_dir + "/" + record.model));
  SessionOptions so;
  so.threads = options_.threads;
  // Handed over: the session frees the weights its kernels packed (and the file's pages).
  LEDGE_ASSIGN(served->session, Session::create(std::move(model), so));
  std::lock_guard lock(mutex_);
  current_ = std::move(served);  // requests in flight keep the previous one alive
  ++stats_.swaps;
  stats_.version = record.version;
  return {};
}

std::shared_ptr<InferenceService::Served> InferenceService::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::vector<double> InferenceService::take_latencies() {
  std::lock_guard lock(mutex_);
  return std::exchange(latencies_ms_, {});
}

ServiceStats InferenceService::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void InferenceService::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents || stopping_) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    set_timeouts(fd, options_.io_timeout_seconds);
    std::unique_lock lock(mutex_);
    // At the limit, wait a moment for a slot: a client that asks again right after an
    // answer (one connection per request) arrives before its handler has counted its last
    // connection closed. Only clients that stay connected get "busy".
    all_closed_.wait_for(lock, kSlotWait, [this] {
      return stopping_ || static_cast<int>(connections_.size()) < options_.max_connections;
    });
    if (stopping_) {
      ::close(fd);
      return;
    }
    if (static_cast<int>(connections_.size()) >= options_.max_connections) {
      (void)send_error(fd, "busy: too many connections");
      ::close(fd);
      continue;
    }
    connections_.insert(fd);
    std::thread([this, fd] { handle(fd); }).detach();
  }
}

void InferenceService::handle(int fd) {
  for (;;) {
    bool eof = false;
    auto request = receive_request(fd, eof);
    if (eof) break;
    if (!request) {  // a malformed message: answer once, then drop the connection
      (void)send_error(fd, request.error().message());
      std::lock_guard lock(mutex_);
      ++stats_.errors;
      break;
    }
    const std::shared_ptr<Served> served = current();
    Status sent;
    bool ok = false;
    if (!served) {
      sent = send_error(fd, "no model is installed yet");
    } else {
      std::map<std::string, Tensor> feeds(request->begin(), request->end());
      Expected<std::vector<Tensor>> out = internal_error("not run");
      double ms = 0;
      {
        std::lock_guard run_lock(served->run_mutex);
        const auto start = std::chrono::steady_clock::now();
        out = served->session->run(feeds);
        ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                 .count();
      }
      if (out) {
        std::lock_guard lock(mutex_);
        if (latencies_ms_.size() < kMaxKept) latencies_ms_.push_back(ms);
      }
      if (!out) {
        sent = send_error(fd, out.error().message());
      } else {
        InferReply reply;
        reply.version = served->record.version;
        const auto& names = served->session->outputs();
        for (size_t i = 0; i < out->size(); ++i)
          reply.outputs.emplace_back(names[i].name, std::move((*out)[i]));
        sent = send_reply(fd, reply);
        ok = true;
      }
    }
    {
      std::lock_guard lock(mutex_);
      ++(ok ? stats_.requests : stats_.errors);
    }
    if (!sent.ok()) break;
  }
  std::lock_guard lock(mutex_);
  ::close(fd);
  connections_.erase(fd);
  all_closed_.notify_all();
}

Expected<InferReply> infer_over_socket(const std::string& socket_path, const NamedTensors& inputs) {
  LEDGE_ASSIGN(sockaddr_un addr, socket_address(socket_path));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    return io_error(socket_path + ": cannot connect: " + std::strerror(e));
  }
  set_timeouts(fd, 30);
  Status st = send_request(fd, inputs);
  Expected<InferReply> reply = st.ok() ? receive_reply(fd) : Expected<InferReply>(st.error());
  ::close(fd);
  return reply;
}

}  // namespace ledge::agent
