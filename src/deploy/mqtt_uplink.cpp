#include "deploy/mqtt_uplink.h"

#include <mosquitto.h>
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

namespace ledge::deploy {

namespace {

constexpr int kLoopTimeoutMs = 50;

std::once_flag mosquitto_init_once;

bool topic_safe(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

std::string event_message(const std::string& device, const QueuedEvent& e) {
  nlohmann::ordered_json j;
  j["id"] = e.id;
  j["seq"] = e.seq;
  j["device"] = device;
  j["kind"] = e.kind;
  j["created_ms"] = e.created_ms;
  // The queue accepted only JSON objects; a row damaged on disk is still sent, as a string.
  auto payload = nlohmann::ordered_json::parse(e.payload, nullptr, false);
  j["payload"] = payload.is_discarded() ? nlohmann::ordered_json(e.payload) : payload;
  return j.dump();
}

}  // namespace

MqttUplink::MqttUplink(EventQueue& queue, UplinkOptions options)
    : queue_(queue), options_(std::move(options)) {
  topic_prefix_ = "ledge/" + options_.device_id + "/";
}

Expected<std::unique_ptr<MqttUplink>> MqttUplink::create(EventQueue& queue, UplinkOptions options) {
  if (options.device_id.empty()) options.device_id = queue.device_id();
  if (!topic_safe(options.device_id))
    return invalid_argument("device id '" + options.device_id +
                            "': expected 1 to 128 letters, digits, '_', '.' or '-'");
  if (options.client_id.empty()) options.client_id = "ledge-" + options.device_id;
  if (options.broker.host.empty() || options.broker.port <= 0)
    return invalid_argument("uplink: no broker address");
  if (options.max_inflight < 1 || options.max_inflight > 65535)
    return invalid_argument("uplink: max_inflight must be 1 to 65535");
  if (!(options.backoff_initial_seconds > 0) ||
      !(options.backoff_max_seconds >= options.backoff_initial_seconds))
    return invalid_argument("uplink: backoff must satisfy 0 < initial <= max");
  if (!options.log)
    options.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  if (sodium_init() < 0) return internal_error("libsodium failed to initialize");
  std::call_once(mosquitto_init_once, [] { mosquitto_lib_init(); });
  return std::unique_ptr<MqttUplink>(new MqttUplink(queue, std::move(options)));
}

MqttUplink::~MqttUplink() { stop(); }

void MqttUplink::log(const std::string& line) { options_.log(line); }

Status MqttUplink::start() {
  if (thread_.joinable()) return invalid_argument("uplink: already started");
  stop_requested_ = false;
  thread_ = std::thread([this] {
    while (!stop_requested_) step();
    close_connection();
  });
  return {};
}

void MqttUplink::stop() {
  stop_requested_ = true;
  if (thread_.joinable()) thread_.join();
  close_connection();
}

Status MqttUplink::drain(std::chrono::milliseconds timeout) {
  if (thread_.joinable()) return invalid_argument("uplink: drain() while started");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    step();
    if (link_ == Link::kUp && idle()) {
      LEDGE_ASSIGN(auto s, queue_.stats());
      if (s.count == 0) break;
    }
    if (Clock::now() >= deadline) {
      LEDGE_ASSIGN(auto s, queue_.stats());
      close_connection();
      return io_error("telemetry uplink to " + options_.broker.host + ":" +
                      std::to_string(options_.broker.port) + ": " + std::to_string(s.count) +
                      " event(s) still queued after " + std::to_string(timeout.count() / 1000) +
                      " s" + (link_ == Link::kUp ? "" : " (broker unreachable)"));
    }
  }
  close_connection();
  return {};
}

Status MqttUplink::run_for(std::chrono::milliseconds duration) {
  if (thread_.joinable()) return invalid_argument("uplink: run_for() while started");
  const auto deadline = Clock::now() + duration;
  while (Clock::now() < deadline) step();
  close_connection();
  return {};
}

UplinkStats MqttUplink::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

bool MqttUplink::idle() const { return inflight_.empty() && acked_.empty(); }

void MqttUplink::on_connect(mosquitto*, void* self, int rc) {
  auto* u = static_cast<MqttUplink*>(self);
  if (rc != 0) {
    u->lost_ = true;
    u->lost_reason_ = std::string("refused: ") + mosquitto_connack_string(rc);
    return;
  }
  u->link_ = Link::kUp;
  u->failed_attempts_ = 0;
  std::lock_guard lock(u->stats_mutex_);
  u->stats_.connected = true;
  ++u->stats_.connects;
}

void MqttUplink::on_disconnect(mosquitto*, void* self, int rc) {
  auto* u = static_cast<MqttUplink*>(self);
  u->lost_ = true;
  u->lost_reason_ = rc == 0 ? "disconnected" : mosquitto_strerror(rc);
}

void MqttUplink::on_publish(mosquitto*, void* self, int mid) {
  auto* u = static_cast<MqttUplink*>(self);
  auto it = u->inflight_.find(mid);
  if (it == u->inflight_.end()) return;
  if (!it->second.empty()) u->acked_.push_back(std::move(it->second));
  u->inflight_.erase(it);
}

void MqttUplink::schedule_reconnect() {
  // Exponential backoff, capped, each delay jittered down to half so that a fleet that lost
  // the same broker does not come back in lockstep.
  const double base =
      std::min(options_.backoff_max_seconds,
               options_.backoff_initial_seconds * std::pow(2.0, std::min(failed_attempts_, 30)));
  const double jitter = 0.5 + 0.5 * (randombytes_uniform(1'000'001) / 1'000'000.0);
  ++failed_attempts_;
  next_attempt_ =
      Clock::now() + std::chrono::microseconds(static_cast<int64_t>(base * jitter * 1e6));
}

void MqttUplink::try_connect() {
  mosq_ = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/true, this);
  if (!mosq_) {
    log("telemetry uplink: cannot create an MQTT client (out of memory)");
    schedule_reconnect();
    return;
  }
  mosquitto_connect_callback_set(mosq_, on_connect);
  mosquitto_disconnect_callback_set(mosq_, on_disconnect);
  mosquitto_publish_callback_set(mosq_, on_publish);
  mosquitto_max_inflight_messages_set(mosq_, static_cast<unsigned>(options_.max_inflight));
  lost_ = false;
  const int rc = mosquitto_connect(mosq_, options_.broker.host.c_str(), options_.broker.port,
                                   options_.keepalive_seconds);
  if (rc != MOSQ_ERR_SUCCESS) {
    lost_connection(rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno))
                                         : mosquitto_strerror(rc));
    return;
  }
  link_ = Link::kAwaitingConnack;
  connect_started_ = Clock::now();
}

void MqttUplink::lost_connection(const std::string& why) {
  const bool was_up = link_ == Link::kUp;
  close_connection();
  {
    std::lock_guard lock(stats_mutex_);
    if (!was_up) ++stats_.connect_failures;
  }
  schedule_reconnect();
  const double wait = std::chrono::duration<double>(next_attempt_ - Clock::now()).count();
  char delay[32];
  std::snprintf(delay, sizeof delay, "%.1f", std::max(0.0, wait));
  log(std::string("telemetry uplink: ") + (was_up ? "lost " : "cannot reach ") +
      options_.broker.host + ":" + std::to_string(options_.broker.port) + " (" + why +
      "); retrying in " + delay + " s");
}

void MqttUplink::close_connection() {
  if (mosq_) {
    if (link_ == Link::kUp) {
      mosquitto_disconnect(mosq_);
      for (int i = 0; i < 4 && mosquitto_loop(mosq_, 10, 1) == MOSQ_ERR_SUCCESS; ++i) {
      }
    }
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
  }
  flush_acks();  // what was acknowledged stays acknowledged
  link_ = Link::kDown;
  // Unacknowledged messages are forgotten: after the reconnect the queue is read again from
  // its oldest event, so the order holds and nothing is skipped.
  inflight_.clear();
  last_sent_seq_ = 0;
  last_stats_.clear();
  std::lock_guard lock(stats_mutex_);
  stats_.connected = false;
}

void MqttUplink::flush_acks() {
  if (acked_.empty()) return;
  const Status st = queue_.ack(acked_);
  if (!st.ok()) {
    // Kept for the next turn; at worst the events are sent again (same ids).
    log("telemetry uplink: cannot delete acknowledged events: " + st.error().message());
    return;
  }
  std::lock_guard lock(stats_mutex_);
  stats_.acknowledged += static_cast<int64_t>(acked_.size());
  acked_.clear();
}

void MqttUplink::fill_window() {
  const size_t room = static_cast<size_t>(options_.max_inflight) - inflight_.size();
  if (room == 0) return;
  auto batch = queue_.peek(room, last_sent_seq_);
  if (!batch.ok()) {
    log("telemetry uplink: cannot read the queue: " + batch.error().message());
    return;
  }
  std::vector<std::string> refused;
  for (const auto& e : *batch) {
    const bool raw = std::find(options_.raw_kinds.begin(), options_.raw_kinds.end(), e.kind) !=
                     options_.raw_kinds.end();
    if (raw && !options_.allow_raw) {
      refused.push_back(e.id);
      last_sent_seq_ = e.seq;
      continue;
    }
    const std::string topic = topic_prefix_ + "events/" + e.kind;
    const std::string message = event_message(options_.device_id, e);
    int mid = 0;
    const int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(message.size()),
                                     message.data(), 1, false);
    if (rc != MOSQ_ERR_SUCCESS) {
      lost_ = true;
      lost_reason_ = std::string("publish: ") + mosquitto_strerror(rc);
      break;
    }
    inflight_[mid] = e.id;
    last_sent_seq_ = e.seq;
    std::lock_guard lock(stats_mutex_);
    ++stats_.published;
  }
  if (!refused.empty()) {
    const Status deleted = queue_.ack(refused);
    const Status counted =
        deleted.ok() ? queue_.count_refused_raw(static_cast<int64_t>(refused.size())) : deleted;
    if (!counted.ok())
      log("telemetry uplink: cannot delete raw events: " + counted.error().message());
    log("telemetry uplink: " + std::to_string(refused.size()) +
        " raw event(s) deleted unsent (raw data stays on the device unless allow_raw is set)");
    std::lock_guard lock(stats_mutex_);
    stats_.refused_raw += static_cast<int64_t>(refused.size());
  }
}

void MqttUplink::publish_stats_if_changed() {
  auto s = queue_.stats();
  if (!s.ok()) return;
  nlohmann::ordered_json j;
  j["device"] = options_.device_id;
  j["dropped_by_size"] = s->dropped_by_size;
  j["dropped_by_age"] = s->dropped_by_age;
  j["refused_raw"] = s->refused_raw;
  j["quarantined"] = s->quarantined;
  const std::string counters = j.dump();
  if (counters == last_stats_) return;  // the backlog's size alone changes all the time
  j["queued"] = s->count;
  j["queued_bytes"] = s->bytes;
  const std::string message = j.dump();
  const std::string topic = topic_prefix_ + "stats";
  int mid = 0;
  if (mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(message.size()),
                        message.data(), 1, /*retain=*/true) == MOSQ_ERR_SUCCESS) {
    inflight_[mid] = "";
    last_stats_ = counters;
  }
}

void MqttUplink::step() {
  if (!mosq_) {
    const auto now = Clock::now();
    if (now < next_attempt_) {
      std::this_thread::sleep_for(std::min<Clock::duration>(
          next_attempt_ - now, std::chrono::milliseconds(kLoopTimeoutMs)));
      return;
    }
    try_connect();
    if (!mosq_) return;
  }
  const int rc = mosquitto_loop(mosq_, kLoopTimeoutMs, 1);
  if (rc != MOSQ_ERR_SUCCESS && !lost_) {
    lost_ = true;
    lost_reason_ = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
  }
  flush_acks();
  if (!lost_ && link_ == Link::kAwaitingConnack &&
      Clock::now() - connect_started_ >
          std::chrono::duration<double>(options_.connack_timeout_seconds)) {
    lost_ = true;
    lost_reason_ = "no CONNACK";
  }
  if (lost_) {
    lost_connection(lost_reason_);
    return;
  }
  if (link_ != Link::kUp) return;
  publish_stats_if_changed();
  if (inflight_.size() < static_cast<size_t>(options_.max_inflight)) fill_window();
  if (lost_) lost_connection(lost_reason_);
}

}  // namespace ledge::deploy
