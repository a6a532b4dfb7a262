// The model registry's records in an embedded SQLite database: registered
// models, their versions (source, checksum, stage, description), tags,
// metrics and aliases.
//
// Durability: the database runs in WAL mode with synchronous=FULL, and every
// change is one IMMEDIATE transaction, so a crash (even kill -9 or power
// loss) leaves either the whole change or none of it. Several processes may
// share the file: a writer waits up to `busy_timeout` for another, then gets
// UNAVAILABLE ("locked"); readers never wait for writers.
//
// The store checks nothing about names and stages beyond what the schema
// needs; the rules live in core/registry/model_registry.
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

#include "core/status.h"

struct sqlite3;

namespace inferd {

using RegistryTags = std::map<std::string, std::string>;

struct ModelVersionRecord {
  std::string model;
  int64_t version = 0;
  std::string source;    // where the files came from
  std::string checksum;  // "sha256:<hex>" of the model file
  std::string description;
  std::string stage = "None";  // None, Staging, Production or Archived
  int64_t created_ms = 0;      // Unix time in milliseconds
  int64_t updated_ms = 0;
  RegistryTags tags;
  std::map<std::string, double> metrics;
  std::vector<std::string> aliases;  // sorted
};

struct RegisteredModelRecord {
  std::string name;
  std::string description;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t last_version = 0;  // the highest version it ever had (numbers are not reused)
  RegistryTags tags;
  std::map<std::string, int64_t> aliases;    // alias -> version
  std::vector<ModelVersionRecord> versions;  // ascending
};

struct NewModelVersion {
  std::string model;
  int64_t version = 0;  // 0: one more than the highest the model ever had
  std::string source;
  std::string checksum;
  std::string description;
  RegistryTags tags;
  std::map<std::string, double> metrics;
};

class RegistryStore {
 public:
  // Opens (creating when `create` is true) the database at `path` and checks
  // it: UNAVAILABLE with the reason when the file is locked, unreadable, not
  // a database or corrupt; NOT_FOUND when it is missing and `create` is false.
  static StatusOr<std::unique_ptr<RegistryStore>> Open(
      const std::filesystem::path& path, bool create,
      std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(2000));
  ~RegistryStore();
  RegistryStore(const RegistryStore&) = delete;
  RegistryStore& operator=(const RegistryStore&) = delete;

  // ALREADY_EXISTS when the model is registered.
  Status CreateModel(const std::string& name, const std::string& description,
                     const RegistryTags& tags);
  // With its versions, tags and aliases; NOT_FOUND when not registered.
  StatusOr<RegisteredModelRecord> GetModel(const std::string& name);
  StatusOr<std::vector<RegisteredModelRecord>> ListModels();
  Status UpdateModelDescription(const std::string& name, const std::string& description);
  // Also deletes its versions, tags and aliases.
  Status DeleteModel(const std::string& name);
  Status SetModelTag(const std::string& name, const std::string& key, const std::string& value);
  Status DeleteModelTag(const std::string& name, const std::string& key);

  // The record as stored (its version number filled in). NOT_FOUND when the
  // model is not registered, ALREADY_EXISTS when the version is.
  StatusOr<ModelVersionRecord> CreateVersion(const NewModelVersion& version);
  StatusOr<ModelVersionRecord> GetVersion(const std::string& model, int64_t version);
  Status UpdateVersionDescription(const std::string& model, int64_t version,
                                  const std::string& description);
  Status DeleteVersion(const std::string& model, int64_t version);
  Status SetVersionTag(const std::string& model, int64_t version, const std::string& key,
                       const std::string& value);
  Status DeleteVersionTag(const std::string& model, int64_t version, const std::string& key);
  Status SetVersionMetric(const std::string& model, int64_t version, const std::string& key,
                          double value);

  // Moves `version` to `stage`; with `archive_others`, the model's other
  // versions in `stage` move to Archived in the same transaction. Returns
  // the versions whose stage changed.
  StatusOr<std::vector<int64_t>> TransitionStage(const std::string& model, int64_t version,
                                                 const std::string& stage, bool archive_others);
  // Points `alias` at `version` (moving it if it pointed elsewhere).
  Status SetAlias(const std::string& model, const std::string& alias, int64_t version);
  Status DeleteAlias(const std::string& model, const std::string& alias);

  // Changes whenever another connection (this process or another) commits.
  StatusOr<int64_t> DataVersion();
  // True once the file proved corrupt or unreadable: open it again (it may
  // have been restored) rather than go on using this connection.
  bool broken() const { return broken_.load(); }

 private:
  class Transaction;
  class ReadTransaction;
  class Statement;
  RegistryStore(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
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
