// The model registry's records and the interface of the store that keeps
// them: registered models, their versions (source, checksum, stage,
// description), tags, metrics and aliases. The core owns this interface; the
// SQLite implementation lives in storage/ (SqliteRegistryStore) and is
// handed to the core as a RegistryStoreOpener by main.
//
// The store checks nothing about names and stages beyond what its schema
// needs; the rules live in core/registry/model_registry.
//
// Thread-safety: implementations make every method thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

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
  virtual ~RegistryStore() = default;

  // ALREADY_EXISTS when the model is registered.
  virtual Status CreateModel(const std::string& name, const std::string& description,
                             const RegistryTags& tags) = 0;
  // With its versions, tags and aliases; NOT_FOUND when not registered.
  virtual StatusOr<RegisteredModelRecord> GetModel(const std::string& name) = 0;
  virtual StatusOr<std::vector<RegisteredModelRecord>> ListModels() = 0;
  virtual Status UpdateModelDescription(const std::string& name,
                                        const std::string& description) = 0;
  // Also deletes its versions, tags and aliases.
  virtual Status DeleteModel(const std::string& name) = 0;
  virtual Status SetModelTag(const std::string& name, const std::string& key,
                             const std::string& value) = 0;
  virtual Status DeleteModelTag(const std::string& name, const std::string& key) = 0;

  // The record as stored (its version number filled in). NOT_FOUND when the
  // model is not registered, ALREADY_EXISTS when the version is.
  virtual StatusOr<ModelVersionRecord> CreateVersion(const NewModelVersion& version) = 0;
  virtual StatusOr<ModelVersionRecord> GetVersion(const std::string& model, int64_t version) = 0;
  virtual Status UpdateVersionDescription(const std::string& model, int64_t version,
                                          const std::string& description) = 0;
  virtual Status DeleteVersion(const std::string& model, int64_t version) = 0;
  virtual Status SetVersionTag(const std::string& model, int64_t version, const std::string& key,
                               const std::string& value) = 0;
  virtual Status DeleteVersionTag(const std::string& model, int64_t version,
                                  const std::string& key) = 0;
  virtual Status SetVersionMetric(const std::string& model, int64_t version, const std::string& key,
                                  double value) = 0;

  // Moves `version` to `stage`; with `archive_others`, the model's other
  // versions in `stage` move to Archived in the same transaction. Returns
  // the versions whose stage changed.
  virtual StatusOr<std::vector<int64_t>> TransitionStage(const std::string& model, int64_t version,
                                                         const std::string& stage,
                                                         bool archive_others) = 0;
  // Points `alias` at `version` (moving it if it pointed elsewhere).
  virtual Status SetAlias(const std::string& model, const std::string& alias, int64_t version) = 0;
  virtual Status DeleteAlias(const std::string& model, const std::string& alias) = 0;

  // Changes whenever another connection (this process or another) commits.
  virtual StatusOr<int64_t> DataVersion() = 0;
  // True once the file proved corrupt or unreadable: open it again (it may
  // have been restored) rather than go on using this connection.
  virtual bool broken() const = 0;
};

// Opens (creating when `create` is true) the store at `path`: UNAVAILABLE
// with the reason when it is locked, unreadable or corrupt; NOT_FOUND when it
// is missing and `create` is false.
using RegistryStoreOpener = std::function<StatusOr<std::unique_ptr<RegistryStore>>(
    const std::filesystem::path& path, bool create)>;

}  // namespace inferd
