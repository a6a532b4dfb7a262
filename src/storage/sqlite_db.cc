#include "storage/sqlite_db.h"

#include <sqlite3.h>

namespace inferd {

StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::filesystem::path& path,
                                                   std::string what, bool create,
                                                   const char* schema, const char* schema_table,
                                                   std::chrono::milliseconds busy) {
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec)) {
    return NotFound("no " + what + " at " + path.string());
  }
  sqlite3* handle = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(handle, path, std::move(what)));
  if (rc != SQLITE_OK) return db->Check(rc, "open it");
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, static_cast<int>(busy.count()));
  INFERD_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON", "enable foreign keys"));
  // journal_mode=WAL needs the write lock the first time; busy_timeout covers it.
  INFERD_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL", "switch to WAL"));
  INFERD_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL", "set synchronous"));
  {
    SqliteStatement check(*db, "PRAGMA quick_check");
    std::string verdict;
    while (check.Row()) {
      if (verdict.empty()) verdict = check.Text(0);
    }
    INFERD_RETURN_IF_ERROR(check.status("check it"));
    if (verdict != "ok") {
      return Unavailable(db->what_ + " " + path.string() + " is corrupt: " + verdict);
    }
  }
  bool has_schema = false;
  {
    SqliteStatement tables(*db, "SELECT 1 FROM sqlite_master WHERE name = ?");
    tables.Bind(schema_table);
    has_schema = tables.Row();
    INFERD_RETURN_IF_ERROR(tables.status("read its tables"));
  }
  if (!has_schema) {
    SqliteTransaction tx(*db);
    INFERD_RETURN_IF_ERROR(tx.begun());
    INFERD_RETURN_IF_ERROR(db->Exec(schema, "create its tables"));
    INFERD_RETURN_IF_ERROR(tx.Commit());
  }
  return db;
}

SqliteDb::~SqliteDb() {
  sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(const char* sql, std::string_view doing) {
  return Check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), doing);
}

Status SqliteDb::Check(int rc, std::string_view doing) const {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  const std::string where = what_ + " " + path_.string();
  const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(where + " is locked by another writer; try again (" + detail + ")");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Unavailable(where + " is corrupt (" + detail + "); restore it from a backup");
    case SQLITE_CONSTRAINT:
      return InvalidArgument(detail);
    case SQLITE_FULL:
      return Status(StatusCode::kResourceExhausted, where + ": disk full (" + detail + ")");
    default:
      return Unavailable("cannot " + std::string(doing) + " in " + where + ": " + detail);
  }
}

SqliteStatement::SqliteStatement(const SqliteDb& db, const char* sql) : db_(db) {
  rc_ = sqlite3_prepare_v2(db.handle(), sql, -1, &stmt_, nullptr);
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::Bind(std::string_view text) {
  if (rc_ == SQLITE_OK) {
    // A null pointer would bind NULL: an empty view is an empty text.
    rc_ = sqlite3_bind_text(stmt_, ++index_, text.data() != nullptr ? text.data() : "",
                            static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int64_t number) {
  if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, ++index_, number);
  return *this;
}

bool SqliteStatement::Row() {
  if (rc_ != SQLITE_OK && rc_ != SQLITE_ROW) return false;
  rc_ = sqlite3_step(stmt_);
  if (rc_ == SQLITE_ROW) return true;
  if (rc_ == SQLITE_DONE) rc_ = SQLITE_OK;
  return false;
}

Status SqliteStatement::Run(std::string_view doing) {
  while (Row()) {
  }
  return status(doing);
}

std::string SqliteStatement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t SqliteStatement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

SqliteTransaction::SqliteTransaction(SqliteDb& db) : db_(db) {
  begun_ = db.Exec("BEGIN IMMEDIATE", "begin a change");
}

SqliteTransaction::~SqliteTransaction() {
  if (begun_.ok() && !committed_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status SqliteTransaction::Commit() {
  committed_ = true;
  const int rc = sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Status failed = db_.Check(rc, "commit a change");  // before ROLLBACK resets the message
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    return failed;
  }
  return Status::Ok();
}

}  // namespace inferd
