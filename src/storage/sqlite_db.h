// One SQLite database as inferd's stores use it: opened read-write with
// foreign keys, WAL and synchronous=FULL (a commit survives a power cut),
// checked at open, its schema created on first use; statements that bind
// in parameter order; and BEGIN IMMEDIATE transactions. Errors become
// Statuses that name the database and say what to do.
//
// Ownership: SqliteDb owns the connection; statements and transactions
// borrow it and must not outlive it. Thread-safety: the connection is opened
// serialized (SQLITE_OPEN_FULLMUTEX); a statement or transaction belongs to
// one thread, and callers serialize transactions.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace inferd {

class SqliteDb {
 public:
  // `what`: how errors name it ("route database"). NOT_FOUND when the file
  // does not exist and `create` is false. `schema` runs (in a transaction)
  // when the database has no table named `schema_table`.
  static StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::filesystem::path& path, std::string what, bool create, const char* schema,
      const char* schema_table, std::chrono::milliseconds busy = std::chrono::milliseconds(5000));
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* handle() const { return db_; }
  Status Check(int rc, std::string_view doing) const;
  Status Exec(const char* sql, std::string_view doing);

 private:
  SqliteDb(sqlite3* db, std::filesystem::path path, std::string what)
      : db_(db), path_(std::move(path)), what_(std::move(what)) {}
  sqlite3* db_;
  std::filesystem::path path_;
  std::string what_;
};

class SqliteStatement {
 public:
  SqliteStatement(const SqliteDb& db, const char* sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& Bind(std::string_view text);
  SqliteStatement& Bind(int64_t number);
  // True while there is a row; check status() after the last.
  bool Row();
  Status Run(std::string_view doing);
  Status status(std::string_view doing) const { return db_.Check(rc_, doing); }
  std::string Text(int column) const;
  int64_t Int(int column) const;

 private:
  const SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = 0;
  int index_ = 0;
};

// BEGIN IMMEDIATE: the write lock up front, so a change never fails half-way
// for a lock another writer took after it began. Rolled back unless committed.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db);
  ~SqliteTransaction();
  const Status& begun() const { return begun_; }
  Status Commit();

 private:
  SqliteDb& db_;
  Status begun_;
  bool committed_ = false;
};

}  // namespace inferd
