// Owns the served models: loads the versions a repository asks for, records
// why any failed, and resolves (model, version) to a pinned ModelHandle.
//
// Thread-safety: all methods are thread-safe. The served table is an immutable
// snapshot swapped under a mutex held only for the pointer copy, so readers
// never wait for a load.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/lifecycle/model_handle.h"
#include "core/lifecycle/model_loader.h"
#include "core/lifecycle/repository_scanner.h"
#include "core/scheduler/thread_pool.h"

namespace inferd {

class ModelManager {
 public:
  explicit ModelManager(ModelLoader loader) : loader_(std::move(loader)) {}

  // Loads every model in the repository as its version policy says (models in
  // parallel). A model that fails is recorded with its reason; the others load.
  Status LoadRepository(const std::filesystem::path& root, int parallelism);

  // `version` empty: the highest ready version. Otherwise a positive integer.
  StatusOr<ModelHandle> Get(std::string_view name, std::string_view version) const;

  std::vector<ModelStatus> Statuses() const;
  // True when every model the repository holds has all its policy versions ready.
  bool AllReady() const;

  // Drops every model and waits until the versions no request holds are
  // destroyed (the others go when their last request lets go).
  void UnloadAll();

  // Calls `fn` with every ready version (for statistics and metrics).
  void ForEachReady(const std::function<void(const ModelHandle&)>& fn) const;

 private:
  struct ModelEntry {
    ModelStatus status;
    std::map<int64_t, ModelHandle> ready;  // served versions
  };
  using Table = std::map<std::string, ModelEntry, std::less<>>;

  ModelEntry LoadModel(const ModelDir& dir) const;
  std::shared_ptr<const Table> Snapshot() const;
  // Shares a loaded version; its last owner hands it to the reaper thread.
  ModelHandle Publish(std::unique_ptr<LoadedModel> model) const;

  ModelLoader loader_;
  // Destroys released versions. A version's last handle is often dropped on
  // one of its own instance threads, which cannot join itself; the deleters
  // share the pool, so it outlives the manager while any version lives.
  std::shared_ptr<ThreadPool> reaper_ = std::make_shared<ThreadPool>(1);
  mutable std::mutex mu_;
  std::shared_ptr<const Table> table_ = std::make_shared<Table>();
};

}  // namespace inferd
