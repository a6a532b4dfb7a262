// Owns the served models: loads the versions the repository and the version
// policies ask for, swaps versions without failing a request, records why any
// failed, and resolves (model, version or label) to a pinned ModelHandle.
//
// A swap loads and warms the new versions while the current ones serve, then
// switches the table; the versions no longer wanted stop getting requests,
// finish the ones they hold (each request pins its version), and unload on the
// reaper thread. A version that fails to load never replaces one that serves.
//
// Thread-safety: all methods are thread-safe. The served table is an immutable
// snapshot swapped under a mutex held only for the pointer copy, so readers
// never wait for a load. Transitions (load, unload, label) run one at a time.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lifecycle/model_handle.h"
#include "core/lifecycle/model_loader.h"
#include "core/lifecycle/repository_scanner.h"
#include "core/scheduler/thread_pool.h"

namespace inferd {

// What the model registry asks of one model once a version of it is in
// Staging or Production or has an alias: exactly these versions serve.
struct RegistryPlan {
  std::vector<int64_t> versions;  // ascending
  // "Production", "Staging" (matched without case) and the aliases.
  std::map<std::string, int64_t, std::less<>> labels;
  int64_t default_version = 0;  // the latest Production version, or 0
};

class ModelManager {
 public:
  ModelManager(ModelLoader loader, std::filesystem::path root)
      : loader_(std::move(loader)), root_(std::move(root)) {}

  // Loads the named models (every model in the repository when `names` is
  // empty), several in parallel. A model that fails is recorded with its
  // reason; the others load. An error only when the repository is unreadable.
  Status LoadModels(const std::vector<std::string>& names, int parallelism);

  // Loads or reloads one model from the repository (see the swap above).
  // `config_json` replaces config.pbtxt (Triton's load override). The error
  // says why the model does not serve the versions it asked for.
  Status Load(std::string_view name, const std::optional<std::string>& config_json = {});

  // Stops serving a model; its versions drain and unload. It stays in the
  // index as UNAVAILABLE ("unloaded") and no longer counts for readiness.
  Status Unload(std::string_view name);
  // Forgets a model whose directory left the repository (its versions drain).
  void Remove(std::string_view name);

  // Points `label` at a ready version (TF Serving's rule); the API's labels
  // outlive reloads and win over the config's.
  Status SetLabel(std::string_view name, std::string_view label, int64_t version);
  Status RemoveLabel(std::string_view name, std::string_view label);
  // Makes a ready version the one requests without a version get.
  Status SetDefaultVersion(std::string_view name, int64_t version);
  // Stops serving one version (it drains and unloads); the model's default
  // version cannot go while others serve.
  Status UnloadVersion(std::string_view name, int64_t version);

  // Replaces every registry plan (at start, before LoadModels).
  void SetRegistryPlans(std::map<std::string, RegistryPlan> plans);
  // Sets (or, with nullopt, clears) one model's plan and reloads the model
  // when it is served or now planned, or `load_if_absent`; versions no
  // longer planned drain and unload. The error says why a planned version
  // does not serve.
  Status ApplyRegistryPlan(std::string_view name, std::optional<RegistryPlan> plan,
                           bool load_if_absent);

  // `version`: empty for the default version (set-default, then the
  // registry's Production, then the highest ready), a positive integer, or a
  // label ("@alias" too). `name` may carry the version as "model@alias" or
  // "model/Stage" when no model has that name.
  StatusOr<ModelHandle> Get(std::string_view name, std::string_view version) const;

  std::vector<ModelStatus> Statuses() const;
  // The models' names, sorted (cheaper than Statuses when that is all).
  std::vector<std::string> Names() const;
  // The repository fingerprint each model was last loaded from.
  std::map<std::string, uint64_t> AppliedFingerprints() const;
  // True when every model the server is asked to serve has a ready version.
  bool AllReady() const;

  // Drops every model and waits until the versions no request holds are
  // destroyed (the others go when their last request lets go).
  void UnloadAll();

  // Calls `fn` with every ready version (for statistics and metrics).
  void ForEachReady(const std::function<void(const ModelHandle&)>& fn) const;

  const std::filesystem::path& root() const { return root_; }

  // NOT_FOUND in Triton's words, which its clients and scripts match on.
  static Status UnknownModel(std::string_view name);

 private:
  struct ModelEntry {
    ModelStatus status;                    // its labels and default_version are filled by StatusOf
    std::map<int64_t, ModelHandle> ready;  // served versions
    // Fingerprint of the files and config each ready version was loaded from.
    std::map<int64_t, uint64_t> loaded_from;
    std::map<std::string, int64_t, std::less<>> config_labels;
    std::map<std::string, int64_t, std::less<>> api_labels;
    int64_t api_default = 0;  // set-default; outlives reloads while that version serves
    std::map<std::string, int64_t, std::less<>> registry_labels;
    int64_t registry_default = 0;
    uint64_t applied = 0;  // ModelDir::Fingerprint() at the last load
  };
  using Table = std::map<std::string, ModelEntry, std::less<>>;

  // The entry that serves `dir` next, reusing what `previous` serves where
  // the files did not change, and keeping what the API set on it. Runs
  // without any lock but the transition's.
  ModelEntry BuildEntry(const ModelDir& dir, const StatusOr<ParsedModelConfig>& config,
                        const ModelEntry* previous) const;
  // The versions that should serve: the registry's plan, else the config's
  // version policy.
  std::vector<int64_t> WantedVersions(const ModelDir& dir, const ParsedModelConfig& config) const;
  // Load() without taking the transition lock.
  Status LoadLocked(std::string_view name, const std::optional<std::string>& config_json);
  StatusOr<ModelHandle> GetExact(std::string_view name, std::string_view version) const;
  StatusOr<ParsedModelConfig> ReadConfig(const ModelDir& dir,
                                         const std::optional<std::string>& config_json) const;
  void LoadVersion(const ModelDir& dir, const VersionDir& found, const ParsedModelConfig& config,
                   uint64_t fingerprint, const ModelEntry* current, ModelEntry& entry) const;
  static void KeepServing(const ModelEntry& current, ModelEntry& entry);
  // The registry's new Production version did not load: the version that
  // took default traffic keeps it (and the "Production" label).
  static void KeepDefaultServing(const ModelEntry& current, ModelEntry& entry);
  // The entry's status with its labels (the config's, overridden by the
  // API's) and default version.
  static ModelStatus StatusOf(const ModelEntry& entry);
  // The version `label` names, or 0.
  static int64_t LabelledVersion(const ModelEntry& entry, std::string_view label);
  // Shows the versions about to load as LOADING while the current ones serve.
  void MarkLoading(const std::string& name, const std::vector<int64_t>& versions);
  std::shared_ptr<const Table> Snapshot() const;
  // A copy of a model's entry to change and Store; NOT_FOUND when unknown.
  StatusOr<ModelEntry> CopyOf(std::string_view name) const;
  // The same, NOT_FOUND also when `version` is not ready.
  StatusOr<ModelEntry> CopyWithReady(std::string_view name, int64_t version) const;
  // Publishes `entry` under its name, or drops the model `name`.
  void Store(ModelEntry entry);
  void Erase(const std::string& name);
  void Swap(std::shared_ptr<const Table> table);
  // Shares a loaded version; its last owner hands it to the reaper thread.
  ModelHandle Publish(std::unique_ptr<LoadedModel> model) const;

  ModelLoader loader_;
  std::filesystem::path root_;
  // Destroys released versions. A version's last handle is often dropped on
  // one of its own instance threads, which cannot join itself; the deleters
  // share the pool, so it outlives the manager while any version lives.
  std::shared_ptr<ThreadPool> reaper_ = std::make_shared<ThreadPool>(1);
  std::mutex transition_mu_;  // one load/unload/label change at a time
  mutable std::mutex mu_;     // guards table_ (the pointer only)
  std::shared_ptr<const Table> table_ = std::make_shared<Table>();
  std::map<std::string, RegistryPlan, std::less<>> plans_;  // guarded by transition_mu_
};

}  // namespace inferd
