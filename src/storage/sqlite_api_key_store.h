// The API key store (core/auth/api_key.h) in the server's SQLite database:
// the file the model registry uses, through a connection of its own, in a
// table `api_keys` it creates when missing.
//
// Replicas: a Rotate or Revoke committed by any process counts from the next
// request on every process sharing the file (on one host: WAL's shared
// memory does not work over network file systems). Rows are kept only while
// nothing was committed since they were read: the wal-index header (no
// transaction, see wal_index_watch.h) or else PRAGMA data_version says so
// before each lookup. Fail closed: a file that cannot be opened or read gives
// UNAVAILABLE, never a key.
//
// last_used_unix is written at most once per kLastUsedGranularitySeconds per
// key, without waiting for the write lock: when another writer holds it the
// note is skipped (a later request writes it), so authentication never
// queues behind writers. WAL mode lets the reads go on meanwhile.
//
// Thread-safety: all methods are thread-safe (one connection, one mutex; a
// point lookup holds it for microseconds).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/auth/api_key.h"
#include "core/status.h"
#include "storage/wal_index_watch.h"

struct sqlite3;
struct sqlite3_stmt;

namespace inferd {

class SqliteApiKeyStore final : public ApiKeyStore {
 public:
  struct Options {
    bool create = true;  // create the file when missing (else NOT_FOUND)
    // How long a change waits for another process's write lock before
    // UNAVAILABLE ("locked").
    std::chrono::milliseconds busy_timeout{2000};
    // Unix seconds for created_at and revoked_at; the system clock when
    // empty. Tests pass their own.
    std::function<int64_t()> clock;
  };

  // Opens the database at `path`, checks it and creates the table when
  // missing: UNAVAILABLE with the reason when the file is locked, unreadable,
  // not a database or corrupt; NOT_FOUND when missing and !create.
  static StatusOr<std::unique_ptr<SqliteApiKeyStore>> Open(const std::filesystem::path& path,
                                                           Options options);
  static StatusOr<std::unique_ptr<SqliteApiKeyStore>> Open(const std::filesystem::path& path) {
    return Open(path, Options());
  }
  ~SqliteApiKeyStore() override;
  SqliteApiKeyStore(const SqliteApiKeyStore&) = delete;
  SqliteApiKeyStore& operator=(const SqliteApiKeyStore&) = delete;

  StatusOr<ApiKeyRecord> Create(const NewApiKey& spec, std::string* secret_out) override;
  StatusOr<std::vector<ApiKeyRecord>> List() override;
  StatusOr<ApiKeyRecord> Get(std::string_view id) override;
  StatusOr<std::string> Rotate(std::string_view id) override;
  Status Revoke(std::string_view id) override;
  StatusOr<ApiKeyRecord> Authenticate(std::string_view presented_secret, int64_t now_unix) override;

 private:
  class Statement;
  SqliteApiKeyStore(sqlite3* db, std::filesystem::path path, Options options);
  Status Check(int rc, std::string_view what) const;
  int64_t Now() const;
  Status Prepare();
  // Under mu_: the row for `id` and its digest; NOT_FOUND when none.
  StatusOr<ApiKeyRecord> ReadLocked(std::string_view id, ApiKeyDigest* digest);
  // Under mu_: records that the key was used at `now`, best effort; true
  // when this call wrote it.
  bool NoteUseLocked(const std::string& id, int64_t now);

  sqlite3* db_;
  std::filesystem::path path_;
  Options options_;
  std::mutex mu_;
  // The hot path's statements, prepared once and reset after each use so
  // no read snapshot outlives a call.
  sqlite3_stmt* select_by_id_ = nullptr;
  sqlite3_stmt* note_use_ = nullptr;
  sqlite3_stmt* data_version_ = nullptr;
  // Rows read since the database last changed, by id: while `PRAGMA
  // data_version` (which moves with every commit of any other connection,
  // in any process) and this store's own writes leave them alone, a lookup
  // is a map hit instead of a query. Under mu_.
  struct CachedKey {
    ApiKeyDigest digest;
    ApiKeyRecord record;
  };
  std::unordered_map<std::string, CachedKey> cache_;
  int64_t cache_version_ = -1;
  // The wal-index header seen before the cache was last known current: while
  // the header reads the same, no commit has happened since, and the cache is
  // used without asking SQLite (no read transaction per request).
  std::unique_ptr<WalIndexWatch> wal_watch_;
  WalIndexWatch::Header cache_header_{};
  bool cache_header_valid_ = false;
};

}  // namespace inferd
