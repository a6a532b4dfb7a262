// The composition root of the serving core: the only object frontends talk
// to. It owns the model manager and the execution threads, resolves requests
// to pinned model versions, validates them and runs them.
//
// Thread-safety: every public method is thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "core/infer_request.h"
#include "core/lifecycle/model_manager.h"
#include "core/scheduler/thread_pool.h"

namespace inferd {

struct ServerCoreOptions {
  std::filesystem::path model_repository;
  int execution_threads = 2;
  ModelLoaderOptions loader;
  // Ready means every model in the repository is ready; when false, ready
  // means the server has started (models that failed are still reported).
  bool strict_readiness = true;
};

class ServerCore {
 public:
  ServerCore(ServerCoreOptions options, std::unique_ptr<BackendFactory> backends);
  ~ServerCore();

  // Loads the repository. An error only when the repository cannot be read.
  Status Start();
  // Finishes queued work and stops the execution threads.
  void Shutdown();

  static std::string_view Name() { return "inferd"; }
  static std::string_view Version();

  bool IsLive() const { return true; }
  bool IsReady() const;

  StatusOr<ModelHandle> GetModel(std::string_view name, std::string_view version) const;
  std::vector<ModelStatus> ModelStatuses() const { return manager_.Statuses(); }
  // The versions of `model` that serve now, ascending (empty when none or unknown).
  std::vector<int64_t> ReadyVersions(std::string_view model) const;

  // Validates and runs the request; `done` is called exactly once, on an
  // execution thread (or on the caller's thread for a request that fails
  // before it is queued).
  void Infer(InferRequest request, InferCallback done);

 private:
  ServerCoreOptions options_;
  std::unique_ptr<BackendFactory> backends_;
  ModelManager manager_;
  ThreadPool pool_;
  std::atomic<bool> started_{false};
};

}  // namespace inferd
