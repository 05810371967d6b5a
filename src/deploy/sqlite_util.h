// Thin RAII over the SQLite C API for the deploy library: prepared statements and
// transactions whose failures become ledge Errors. Not thread-safe by itself: the owner of
// the connection serializes access (EventQueue holds a mutex).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ledge::deploy {

// "what: <sqlite message>" as an I/O error.
Error sqlite_error(sqlite3* db, const std::string& what);
// Runs SQL without results (several statements allowed).
Status sqlite_exec(sqlite3* db, const char* sql);

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, const char* sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Set when preparing failed; every other call then fails too.
  Status prepared() const;
  SqliteStatement& bind(int index, int64_t value);
  SqliteStatement& bind(int index, std::string_view text);
  // Advances: true with a row, false when done, an error otherwise.
  Expected<bool> step();
  int64_t column_int(int index) const;
  std::string column_text(int index) const;
  void reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int prepare_rc_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so no upgrade deadlock between processes);
// rolls back at destruction unless commit() succeeded.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(sqlite3* db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  Status began() const { return begin_; }
  Status commit();

 private:
  sqlite3* db_;
  Status begin_;
  bool open_ = false;
};

}  // namespace ledge::deploy
