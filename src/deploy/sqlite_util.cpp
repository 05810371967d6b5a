#include "deploy/sqlite_util.h"

namespace ledge::deploy {

Error sqlite_error(sqlite3* db, const std::string& what) {
  return io_error(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Status sqlite_exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return io_error(text);
  }
  return {};
}

SqliteStatement::SqliteStatement(sqlite3* db, const char* sql)
    : db_(db), prepare_rc_(sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr)) {}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

Status SqliteStatement::prepared() const {
  if (prepare_rc_ != SQLITE_OK) return sqlite_error(db_, "prepare");
  return {};
}

SqliteStatement& SqliteStatement::bind(int index, int64_t value) {
  if (stmt_) sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
  if (stmt_)
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Expected<bool> SqliteStatement::step() {
  if (prepare_rc_ != SQLITE_OK || !stmt_) return sqlite_error(db_, "prepare");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, "step");
}

int64_t SqliteStatement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string SqliteStatement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  return text ? std::string(reinterpret_cast<const char*>(text),
                            static_cast<size_t>(sqlite3_column_bytes(stmt_, index)))
              : std::string();
}

void SqliteStatement::reset() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

SqliteTransaction::SqliteTransaction(sqlite3* db)
    : db_(db), begin_(sqlite_exec(db, "BEGIN IMMEDIATE")) {
  open_ = begin_.ok();
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) (void)sqlite_exec(db_, "ROLLBACK");
}

Status SqliteTransaction::commit() {
  if (!open_) return begin_.ok() ? Status(internal_error("transaction already closed")) : begin_;
  LEDGE_TRY(sqlite_exec(db_, "COMMIT"));
  open_ = false;
  return {};
}

}  // namespace ledge::deploy
