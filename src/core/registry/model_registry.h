// The model registry: registered models and versions with MLflow's stages
// (None, Staging, Production, Archived) and aliases, kept in the registry
// database, and what they mean for serving.
//
// Serving rule: once a registered model has a version in Staging or
// Production or with an alias, exactly those versions serve, and requests
// can name them "Production", "Staging" or "@alias" (as well as
// "model/Production" and "model@alias"); requests without a version get the
// latest Production version. With none, the repository's version policy
// decides, so registering a model changes nothing until a version is staged.
// Every change that moves a stage or alias is applied before the call
// returns: the right versions load and warm, the others drain and unload.
//
// The registry's versions are the repository's version directories: a new
// version is uploaded or copied into <repository>/<model>/<version>/ (whole
// or not at all), or an existing directory is registered in place.
//
// Thread-safety: all methods are thread-safe. Changes should run on one
// thread (the core's admin thread), since they reload models.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/lifecycle/model_manager.h"
#include "core/registry/registry_store.h"

namespace inferd {

struct NewVersionRequest {
  std::string model;
  // A model file on the server (copied into the repository as the next
  // version), or a version directory of this model in the repository
  // (registered where it is). "file://" is allowed.
  std::string source;
  std::string description;
  RegistryTags tags;
  std::map<std::string, double> metrics;
};

struct UploadRequest {
  std::string model;
  std::string_view model_file;        // the ONNX bytes
  std::optional<std::string> config;  // config.pbtxt text for the model
  std::string description;
  RegistryTags tags;
};

class ModelRegistry {
 public:
  // `open_store` opens the database (storage/ implements it; main passes
  // it in). Without one, every registry call is UNAVAILABLE.
  ModelRegistry(ModelManager& manager, std::filesystem::path db_path, uint64_t max_upload_bytes,
                RegistryStoreOpener open_store)
      : manager_(manager),
        db_path_(std::move(db_path)),
        max_upload_bytes_(max_upload_bytes),
        open_store_(std::move(open_store)) {}

  // Reads the database, when there is one, and hands the manager the
  // serving plans before the first load. A database that cannot be read is
  // reported (and logged) and the server serves without it; calls then
  // answer UNAVAILABLE with the reason until the file is readable.
  Status Start();
  // Applies what other processes changed in the database since the last
  // look, or all of it when the database was (re)opened since (cheap when
  // nothing changed: one PRAGMA). The server calls it every poll interval,
  // in every control mode.
  void Refresh();
  // The models the registry wants served (for explicit mode's start).
  std::vector<std::string> PlannedModels() const;
  const std::filesystem::path& db_path() const { return db_path_; }

  StatusOr<RegisteredModelRecord> CreateModel(const std::string& name,
                                              const std::string& description,
                                              const RegistryTags& tags);
  StatusOr<RegisteredModelRecord> GetModel(const std::string& name);
  StatusOr<std::vector<RegisteredModelRecord>> ListModels();
  StatusOr<RegisteredModelRecord> UpdateModel(const std::string& name,
                                              const std::string& description);
  // Forgets the model and its versions (the files stay in the repository,
  // where the version policy takes over).
  Status DeleteModel(const std::string& name);
  Status SetModelTag(const std::string& name, const std::string& key, const std::string& value);
  Status DeleteModelTag(const std::string& name, const std::string& key);

  // Registers a version from `source`; the model is registered first when
  // it is not. The new version loads per the serving rule above.
  StatusOr<ModelVersionRecord> CreateVersion(const NewVersionRequest& request);
  // Writes an uploaded model file (and config) as the next version.
  StatusOr<ModelVersionRecord> UploadVersion(const UploadRequest& request);
  StatusOr<ModelVersionRecord> GetVersion(const std::string& model, int64_t version);
  // Every version of `model`, or of every model when it is empty.
  StatusOr<std::vector<ModelVersionRecord>> SearchVersions(const std::string& model);
  // The latest version in each of `stages` (all four when empty).
  StatusOr<std::vector<ModelVersionRecord>> LatestVersions(const std::string& model,
                                                           const std::vector<std::string>& stages);
  StatusOr<ModelVersionRecord> UpdateVersion(const std::string& model, int64_t version,
                                             const std::string& description);
  Status DeleteVersion(const std::string& model, int64_t version);
  Status SetVersionTag(const std::string& model, int64_t version, const std::string& key,
                       const std::string& value);
  Status DeleteVersionTag(const std::string& model, int64_t version, const std::string& key);
  Status SetVersionMetric(const std::string& model, int64_t version, const std::string& key,
                          double value);

  // MLflow's transition: `stage` is matched without case; with
  // `archive_existing` (Staging and Production only) the model's other
  // versions in that stage move to Archived in the same transaction.
  StatusOr<ModelVersionRecord> TransitionStage(const std::string& model, int64_t version,
                                               const std::string& stage, bool archive_existing);
  Status SetAlias(const std::string& model, const std::string& alias, int64_t version);
  Status DeleteAlias(const std::string& model, const std::string& alias);
  StatusOr<ModelVersionRecord> GetVersionByAlias(const std::string& model,
                                                 const std::string& alias);

  // The canonical stage name ("Production") of `stage` in any case.
  static StatusOr<std::string> CanonicalStage(std::string_view stage);
  // INVALID_ARGUMENT unless `bytes` is a serialized ONNX ModelProto with a
  // graph (whether the graph runs is the loader's call).
  static Status CheckOnnxFile(std::string_view bytes);
  // What serves for a registered model: nullopt when nothing is staged.
  static std::optional<RegistryPlan> PlanFor(const RegisteredModelRecord& model);

 private:
  // The open store; with `create`, the database is created when missing.
  // NOT_FOUND (reads answer empty) when it does not exist yet.
  StatusOr<std::shared_ptr<RegistryStore>> Store(bool create);
  StatusOr<std::shared_ptr<RegistryStore>> StoreForRead();
  // Recomputes the model's plan from the database and applies it.
  void Apply(const std::string& model, bool load_if_absent);
  StatusOr<int64_t> NextVersion(RegistryStore& store, const std::string& model);
  StatusOr<ModelVersionRecord> Register(RegistryStore& store, const std::string& model,
                                        int64_t version, const std::string& source,
                                        const std::string& checksum, const std::string& description,
                                        const RegistryTags& tags,
                                        const std::map<std::string, double>& metrics);

  ModelManager& manager_;
  const std::filesystem::path db_path_;
  const uint64_t max_upload_bytes_;
  const RegistryStoreOpener open_store_;
  std::mutex apply_mu_;    // one Apply at a time; taken before the manager's locks
  mutable std::mutex mu_;  // guards store_, planned_ and reapply_all_
  std::shared_ptr<RegistryStore> store_;
  std::vector<std::string> planned_;
  // Set when the database was (re)opened after start: Refresh applies it all.
  bool reapply_all_ = false;
  int64_t seen_data_version_ = -1;  // of the database, at the last look (Refresh's thread)
};

}  // namespace inferd
