#include "deploy/event_queue.h"

#include <sodium.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "deploy/sqlite_util.h"

namespace ledge::deploy {

namespace {

constexpr int64_t kEventOverheadBytes = 64;  // row and index cost, roughly, so tiny events count
constexpr int64_t kDropLogIntervalMs = 10'000;
constexpr const char* kSchemaVersion = "1";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_created ON events(created_ms);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters(name, value) VALUES ('count', 0), ('bytes', 0),
  ('dropped_by_size', 0), ('dropped_by_age', 0), ('refused_raw', 0), ('quarantined', 0);
)sql";

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

bool valid_kind(const std::string& kind) {
  if (kind.empty() || kind.size() > 64) return false;
  for (char c : kind)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

// An open attempt: a connection, or why not, and whether the file itself is at fault.
struct OpenAttempt {
  sqlite3* db = nullptr;
  Status status;
  bool corrupt = false;
};

bool is_corruption(int rc) {
  rc &= 0xff;
  return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

OpenAttempt try_open(const std::string& path) {
  OpenAttempt a;
  int rc =
      sqlite3_open_v2(path.c_str(), &a.db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  auto fail = [&](const std::string& what) {
    a.corrupt = is_corruption(rc) || is_corruption(sqlite3_extended_errcode(a.db));
    a.status = sqlite_error(a.db, what);
    sqlite3_close_v2(a.db);
    a.db = nullptr;
    return a;
  };
  if (rc != SQLITE_OK) return fail("open " + path);
  sqlite3_extended_result_codes(a.db, 1);
  sqlite3_busy_timeout(a.db, 5000);
  // journal_mode reads the header: a file of garbage fails here with SQLITE_NOTADB.
  if (rc = sqlite3_exec(a.db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr,
                        nullptr);
      rc != SQLITE_OK)
    return fail(path);
  std::string verdict;
  {
    SqliteStatement check(a.db, "PRAGMA quick_check");
    auto row = check.step();
    if (!row) {
      rc = sqlite3_extended_errcode(a.db);
      verdict = "!";
    } else {
      verdict = *row ? check.column_text(0) : "";
    }
  }
  if (verdict == "!") return fail(path + ": quick_check");
  if (verdict != "ok") {
    a.status = io_error(path + ": damaged (" + verdict + ")");
    a.corrupt = true;
    sqlite3_close_v2(a.db);
    a.db = nullptr;
  }
  return a;
}

// Moves the file and its WAL aside; the shared-memory index is rebuilt from them, so it goes.
Expected<std::string> quarantine(const std::string& path, int64_t now_ms) {
  namespace fs = std::filesystem;
  std::string target = path + ".corrupt-" + std::to_string(now_ms / 1000);
  for (int n = 1; fs::exists(target); ++n)
    target = path + ".corrupt-" + std::to_string(now_ms / 1000) + "." + std::to_string(n);
  std::error_code ec;
  fs::rename(path, target, ec);
  if (ec) return io_error("cannot move corrupt queue " + path + " aside: " + ec.message());
  if (fs::exists(path + "-wal")) fs::rename(path + "-wal", target + "-wal", ec);
  fs::remove(path + "-shm", ec);
  return target;
}

}  // namespace

EventQueue::EventQueue(sqlite3* db, QueueLimits limits, QueueHooks hooks)
    : db_(db), limits_(limits), hooks_(std::move(hooks)) {
  if (!hooks_.now_ms) hooks_.now_ms = system_now_ms;
  if (!hooks_.log)
    hooks_.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
}

EventQueue::~EventQueue() { sqlite3_close_v2(db_); }

Expected<std::unique_ptr<EventQueue>> EventQueue::open(const std::string& path, QueueLimits limits,
                                                       QueueHooks hooks) {
  if (limits.max_bytes <= 0 || limits.max_age_seconds < 0)
    return invalid_argument("queue limits: max_bytes must be positive, max_age_seconds >= 0");
  if (sodium_init() < 0) return internal_error("libsodium failed to initialize");
  const int64_t now = hooks.now_ms ? hooks.now_ms() : system_now_ms();

  OpenAttempt attempt = try_open(path);
  std::string quarantined_to, reason;
  if (!attempt.status.ok() && attempt.corrupt) {
    reason = attempt.status.error().message();
    LEDGE_ASSIGN(quarantined_to, quarantine(path, now));
    attempt = try_open(path);
  }
  if (!attempt.status.ok()) return attempt.status.error();

  std::unique_ptr<EventQueue> queue(new EventQueue(attempt.db, limits, hooks));
  Status schema = queue->init_schema();
  if (!schema.ok() && quarantined_to.empty()) {
    // A database, but not a queue we can use (a damaged or foreign schema): set it aside too.
    reason = schema.error().message();
    queue.reset();
    LEDGE_ASSIGN(quarantined_to, quarantine(path, now));
    attempt = try_open(path);
    if (!attempt.status.ok()) return attempt.status.error();
    queue.reset(new EventQueue(attempt.db, limits, hooks));
    schema = queue->init_schema();
  }
  if (!schema.ok()) return schema.error().with_context(path);

  if (!quarantined_to.empty()) {
    queue->quarantined_to_ = quarantined_to;
    queue->hooks_.log("telemetry queue " + path + " was damaged (" + reason + "); moved to " +
                      quarantined_to + " and started empty");
    {
      std::lock_guard lock(queue->mutex_);
      LEDGE_TRY(queue->add_counter_locked("quarantined", 1));
    }
    nlohmann::json payload = {{"moved_to", quarantined_to}, {"reason", reason}};
    LEDGE_TRY(queue->record({"queue_quarantined", payload.dump()}));
  }
  return queue;
}

Status EventQueue::init_schema() {
  std::lock_guard lock(mutex_);
  SqliteTransaction tx(db_);
  LEDGE_TRY(tx.began());
  LEDGE_TRY(sqlite_exec(db_, kSchema));
  {
    SqliteStatement ins(db_, "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)");
    LEDGE_TRY(
        ins.bind(1, std::string_view("schema")).bind(2, std::string_view(kSchemaVersion)).step());
    ins.reset();
    const std::string fresh_id = "dev-" + random_hex(8);
    LEDGE_TRY(ins.bind(1, std::string_view("device_id")).bind(2, fresh_id).step());
  }
  SqliteStatement get(db_, "SELECT key, value FROM meta WHERE key IN ('schema', 'device_id')");
  std::string schema;
  for (;;) {
    LEDGE_ASSIGN(bool row, get.step());
    if (!row) break;
    (get.column_text(0) == "schema" ? schema : device_id_) = get.column_text(1);
  }
  if (schema != kSchemaVersion)
    return invalid_model("telemetry queue schema " + schema + ", expected " + kSchemaVersion);
  return tx.commit();
}

Status EventQueue::add_counter_locked(const char* name, int64_t delta) {
  SqliteStatement up(db_, "UPDATE counters SET value = value + ? WHERE name = ?");
  LEDGE_TRY(up.bind(1, delta).bind(2, std::string_view(name)).step());
  return {};
}

void EventQueue::log_drops(const char* reason, int64_t n, int64_t total) {
  unlogged_drops_ += n;
  const int64_t now = hooks_.now_ms();
  // Once per interval at most: a full queue drops on every record().
  if (last_drop_log_ms_ != 0 && now - last_drop_log_ms_ < kDropLogIntervalMs) return;
  hooks_.log("telemetry queue: dropped " + std::to_string(unlogged_drops_) + " oldest event(s), " +
             reason + " (" + std::to_string(total) + " dropped this way in all)");
  last_drop_log_ms_ = now;
  unlogged_drops_ = 0;
}

Status EventQueue::drop_expired_locked(int64_t now) {
  if (limits_.max_age_seconds == 0) return {};
  SqliteStatement del(db_, "DELETE FROM events WHERE created_ms < ? RETURNING bytes");
  del.bind(1, now - limits_.max_age_seconds * 1000);
  int64_t n = 0, bytes = 0;
  for (;;) {
    LEDGE_ASSIGN(bool row, del.step());
    if (!row) break;
    ++n;
    bytes += del.column_int(0);
  }
  if (n == 0) return {};
  LEDGE_TRY(add_counter_locked("count", -n));
  LEDGE_TRY(add_counter_locked("bytes", -bytes));
  LEDGE_TRY(add_counter_locked("dropped_by_age", n));
  SqliteStatement total(db_, "SELECT value FROM counters WHERE name = 'dropped_by_age'");
  LEDGE_TRY(total.step());
  log_drops(("older than the age cap of " + std::to_string(limits_.max_age_seconds) + " s").c_str(),
            n, total.column_int(0));
  return {};
}

Status EventQueue::drop_to_fit_locked(int64_t incoming_bytes) {
  SqliteStatement cur(db_, "SELECT value FROM counters WHERE name = 'bytes'");
  LEDGE_TRY(cur.step());
  const int64_t excess = cur.column_int(0) + incoming_bytes - limits_.max_bytes;
  if (excess <= 0) return {};
  // The oldest rows whose sizes add up to the excess go, in one DELETE.
  SqliteStatement oldest(db_, "SELECT seq, bytes FROM events ORDER BY seq");
  int64_t freed = 0, n = 0, cut = 0;
  while (freed < excess) {
    LEDGE_ASSIGN(bool row, oldest.step());
    if (!row) break;
    cut = oldest.column_int(0);
    freed += oldest.column_int(1);
    ++n;
  }
  if (n == 0) return {};
  SqliteStatement del(db_, "DELETE FROM events WHERE seq <= ?");
  LEDGE_TRY(del.bind(1, cut).step());
  LEDGE_TRY(add_counter_locked("count", -n));
  LEDGE_TRY(add_counter_locked("bytes", -freed));
  LEDGE_TRY(add_counter_locked("dropped_by_size", n));
  SqliteStatement total(db_, "SELECT value FROM counters WHERE name = 'dropped_by_size'");
  LEDGE_TRY(total.step());
  log_drops(("the size cap of " + std::to_string(limits_.max_bytes) + " bytes was reached").c_str(),
            n, total.column_int(0));
  return {};
}

Status EventQueue::record(const Event& event) {
  if (!valid_kind(event.kind))
    return invalid_argument("event kind '" + event.kind +
                            "': expected 1 to 64 letters, digits, '_', '.' or '-'");
  const auto parsed = nlohmann::json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object())
    return invalid_argument("event '" + event.kind + "': the payload is not a JSON object");
  const std::string id = random_hex(16);
  const int64_t bytes = static_cast<int64_t>(id.size() + event.kind.size() + event.payload.size()) +
                        kEventOverheadBytes;
  if (bytes > limits_.max_bytes)
    return resource_limit("event '" + event.kind + "' of " + std::to_string(bytes) +
                          " bytes exceeds the queue's cap of " + std::to_string(limits_.max_bytes) +
                          " bytes");

  std::lock_guard lock(mutex_);
  const int64_t now = hooks_.now_ms();
  SqliteTransaction tx(db_);
  LEDGE_TRY(tx.began());
  LEDGE_TRY(drop_expired_locked(now));
  LEDGE_TRY(drop_to_fit_locked(bytes));
  SqliteStatement ins(db_,
                      "INSERT INTO events(id, kind, payload, created_ms, bytes) "
                      "VALUES (?, ?, ?, ?, ?)");
  LEDGE_TRY(ins.bind(1, id)
                .bind(2, event.kind)
                .bind(3, event.payload)
                .bind(4, now)
                .bind(5, bytes)
                .step());
  LEDGE_TRY(add_counter_locked("count", 1));
  LEDGE_TRY(add_counter_locked("bytes", bytes));
  return tx.commit();
}

Expected<std::vector<QueuedEvent>> EventQueue::peek(size_t n, int64_t after_seq) {
  std::lock_guard lock(mutex_);
  if (limits_.max_age_seconds > 0) {
    SqliteTransaction tx(db_);
    LEDGE_TRY(tx.began());
    LEDGE_TRY(drop_expired_locked(hooks_.now_ms()));
    LEDGE_TRY(tx.commit());
  }
  SqliteStatement sel(db_,
                      "SELECT seq, id, kind, payload, created_ms FROM events WHERE seq > ? "
                      "ORDER BY seq LIMIT ?");
  sel.bind(1, after_seq).bind(2, static_cast<int64_t>(n));
  std::vector<QueuedEvent> out;
  for (;;) {
    LEDGE_ASSIGN(bool row, sel.step());
    if (!row) break;
    out.push_back({sel.column_int(0), sel.column_text(1), sel.column_text(2), sel.column_text(3),
                   sel.column_int(4)});
  }
  return out;
}

Status EventQueue::ack(const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  std::lock_guard lock(mutex_);
  SqliteTransaction tx(db_);
  LEDGE_TRY(tx.began());
  SqliteStatement del(db_, "DELETE FROM events WHERE id = ? RETURNING bytes");
  int64_t n = 0, bytes = 0;
  for (const auto& id : ids) {
    del.reset();
    del.bind(1, id);
    for (;;) {
      LEDGE_ASSIGN(bool row, del.step());
      if (!row) break;
      ++n;
      bytes += del.column_int(0);
    }
  }
  if (n > 0) {
    LEDGE_TRY(add_counter_locked("count", -n));
    LEDGE_TRY(add_counter_locked("bytes", -bytes));
  }
  return tx.commit();
}

Status EventQueue::count_refused_raw(int64_t n) {
  std::lock_guard lock(mutex_);
  SqliteTransaction tx(db_);
  LEDGE_TRY(tx.began());
  LEDGE_TRY(add_counter_locked("refused_raw", n));
  return tx.commit();
}

Expected<QueueStats> EventQueue::stats() {
  std::lock_guard lock(mutex_);
  SqliteStatement sel(db_, "SELECT name, value FROM counters");
  QueueStats s;
  for (;;) {
    LEDGE_ASSIGN(bool row, sel.step());
    if (!row) break;
    const std::string name = sel.column_text(0);
    const int64_t v = sel.column_int(1);
    if (name == "count") s.count = v;
    if (name == "bytes") s.bytes = v;
    if (name == "dropped_by_size") s.dropped_by_size = v;
    if (name == "dropped_by_age") s.dropped_by_age = v;
    if (name == "refused_raw") s.refused_raw = v;
    if (name == "quarantined") s.quarantined = v;
  }
  return s;
}

}  // namespace ledge::deploy
