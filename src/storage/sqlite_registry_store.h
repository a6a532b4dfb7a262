// The model registry's store (core/registry/registry_store.h) in an embedded
// SQLite database.
//
// Durability: the database runs in WAL mode with synchronous=FULL, and every
// change is one IMMEDIATE transaction, so a crash (even kill -9 or power
// loss) leaves either the whole change or none of it. Several processes may
// share the file: a writer waits up to `busy_timeout` for another, then gets
// UNAVAILABLE ("locked"); readers never wait for writers.
//
// Thread-safety: all methods are thread-safe (one connection, one mutex).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/registry/registry_store.h"
#include "core/status.h"

struct sqlite3;

namespace inferd {

class SqliteRegistryStore final : public RegistryStore {
 public:
  // Opens (creating when `create` is true) the database at `path` and checks
  // it: UNAVAILABLE with the reason when the file is locked, unreadable, not
  // a database or corrupt; NOT_FOUND when it is missing and `create` is false.
  static StatusOr<std::unique_ptr<SqliteRegistryStore>> Open(
      const std::filesystem::path& path, bool create,
      std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(2000));
  ~SqliteRegistryStore() override;
  SqliteRegistryStore(const SqliteRegistryStore&) = delete;
  SqliteRegistryStore& operator=(const SqliteRegistryStore&) = delete;

  // ALREADY_EXISTS when the model is registered.
  Status CreateModel(const std::string& name, const std::string& description,
                     const RegistryTags& tags) override;
  // With its versions, tags and aliases; NOT_FOUND when not registered.
  StatusOr<RegisteredModelRecord> GetModel(const std::string& name) override;
  StatusOr<std::vector<RegisteredModelRecord>> ListModels() override;
  Status UpdateModelDescription(const std::string& name, const std::string& description) override;
  // Also deletes its versions, tags and aliases.
  Status DeleteModel(const std::string& name) override;
  Status SetModelTag(const std::string& name, const std::string& key,
                     const std::string& value) override;
  Status DeleteModelTag(const std::string& name, const std::string& key) override;

  // The record as stored (its version number filled in). NOT_FOUND when the
  // model is not registered, ALREADY_EXISTS when the version is.
  StatusOr<ModelVersionRecord> CreateVersion(const NewModelVersion& version) override;
  StatusOr<ModelVersionRecord> GetVersion(const std::string& model, int64_t version) override;
  Status UpdateVersionDescription(const std::string& model, int64_t version,
                                  const std::string& description) override;
  Status DeleteVersion(const std::string& model, int64_t version) override;
  Status SetVersionTag(const std::string& model, int64_t version, const std::string& key,
                       const std::string& value) override;
  Status DeleteVersionTag(const std::string& model, int64_t version,
                          const std::string& key) override;
  Status SetVersionMetric(const std::string& model, int64_t version, const std::string& key,
                          double value) override;

  // Moves `version` to `stage`; with `archive_others`, the model's other
  // versions in `stage` move to Archived in the same transaction. Returns
  // the versions whose stage changed.
  StatusOr<std::vector<int64_t>> TransitionStage(const std::string& model, int64_t version,
                                                 const std::string& stage,
                                                 bool archive_others) override;
  // Points `alias` at `version` (moving it if it pointed elsewhere).
  Status SetAlias(const std::string& model, const std::string& alias, int64_t version) override;
  Status DeleteAlias(const std::string& model, const std::string& alias) override;

  // Changes whenever another connection (this process or another) commits.
  StatusOr<int64_t> DataVersion() override;
  // True once the file proved corrupt or unreadable: open it again (it may
  // have been restored) rather than go on using this connection.
  bool broken() const override { return broken_.load(); }

 private:
  class Transaction;
  class ReadTransaction;
  class Statement;
  SqliteRegistryStore(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  Status Check(int rc, std::string_view what) const;
  Status RequireModel(const std::string& name);
  Status RequireVersion(const std::string& model, int64_t version);
  StatusOr<std::vector<ModelVersionRecord>> ReadVersions(const std::string& model,
                                                         std::optional<int64_t> version);
  Status Touch(const std::string& model, std::optional<int64_t> version);

  sqlite3* db_;
  std::filesystem::path path_;
  std::mutex mu_;
  mutable std::atomic<bool> broken_{false};
};

}  // namespace inferd
