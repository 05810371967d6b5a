// The agent serves its active model to local programs over a Unix socket
// (inference_protocol.h), and swaps to a newly committed model without failing a request:
// each request holds the model it started with until it answers, and the old model is freed
// when its last request is done.
//
//   LEDGE_ASSIGN(auto service, InferenceService::start("/run/ledge/infer.sock"));
//   LEDGE_TRY(service->serve(record, slot_dir));   // at start, and from Agent's on_commit
//   ...
//   service->stop();                               // also done by the destructor
//
// Threads: one accepting thread and one detached thread per connection (at most
// max_connections: a further one waits up to kSlotWait for a slot, then is answered "busy" and
// closed); stop() waits for them all. serve()
// and stats() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/inference_protocol.h"
#include "agent/slot_store.h"
#include "core/status.h"

namespace ledge::agent {

struct ServiceOptions {
  int threads = 1;           // per model session
  int max_connections = 16;  // concurrent clients
  int io_timeout_seconds = 30;
};

struct ServiceStats {
  int64_t requests = 0;  // answered with outputs
  int64_t errors = 0;    // answered with an error (bad input, no model)
  int64_t swaps = 0;     // models loaded by serve()
  uint64_t version = 0;  // of the model served now (0: none)
};

class InferenceService {
 public:
  // Binds the socket (replacing a stale socket file) and starts accepting.
  static Expected<std::unique_ptr<InferenceService>> start(const std::string& socket_path,
                                                           ServiceOptions options = {});
  ~InferenceService();
  InferenceService(const InferenceService&) = delete;
  InferenceService& operator=(const InferenceService&) = delete;

  // Loads the model in `slot_dir` and makes it the one new requests get; on error the model
  // served before stays.
  Status serve(const ActiveRecord& record, const std::string& slot_dir);
  void stop();
  ServiceStats stats() const;
  // The run times (ms) of the requests answered since the last call, for telemetry summaries.
  std::vector<double> take_latencies();

 private:
  struct Served;  // a loaded model and its session (inference_service.cpp)
  InferenceService(std::string path, int listen_fd, ServiceOptions options);
  void accept_loop();
  void handle(int fd);
  std::shared_ptr<Served> current() const;

  std::string path_;
  int listen_fd_;
  int wake_pipe_[2] = {-1, -1};
  ServiceOptions options_;
  mutable std::mutex mutex_;  // current_, stats_, connections_
  std::shared_ptr<Served> current_;
  ServiceStats stats_;
  std::vector<double> latencies_ms_;  // since the last take_latencies(), at most kMaxKept
  static constexpr size_t kMaxKept = 100000;
  // How long a new connection waits for a free slot before it is answered "busy".
  static constexpr std::chrono::seconds kSlotWait{2};
  std::set<int> connections_;  // open client sockets, shut down by stop()
  std::condition_variable all_closed_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
};

// A client: one request on a new connection.
Expected<InferReply> infer_over_socket(const std::string& socket_path, const NamedTensors& inputs);

}  // namespace ledge::agent
