// The composition root of the serving core: the only object frontends talk
// to. It owns the model manager (whose versions each own their scheduler),
// resolves requests to pinned model versions, validates and queues them, and
// keeps the statistics and metrics of every protocol in one place.
//
// Thread-safety: every public method is thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/infer_request.h"
#include "core/lifecycle/model_manager.h"
#include "core/lifecycle/repository_poller.h"
#include "core/registry/model_registry.h"
#include "core/routing/route_observer.h"
#include "core/routing/route_table.h"
#include "core/scheduler/periodic_task.h"
#include "core/scheduler/thread_pool.h"
#include "observability/metrics.h"
#include "observability/model_statistics.h"

namespace inferd {

// Who decides which models serve (Triton's --model-control-mode).
enum class ModelControlMode {
  kNone,      // the repository at start; no changes while running
  kPoll,      // the repository, rescanned every poll interval
  kExplicit,  // the repository API (load/unload), from startup_models on
};

// One row of the repository index: a model on disk or in the manager.
struct RepositoryIndexEntry {
  std::string name;
  int64_t version = 0;  // 0 for a model that was never loaded
  std::string state;    // "" for a model that was never loaded
  std::string reason;
};

struct ServerCoreOptions {
  std::filesystem::path model_repository;
  ModelControlMode control_mode = ModelControlMode::kNone;
  std::chrono::milliseconds poll_interval{15000};
  // Explicit mode: the models loaded at start ("*" for all).
  std::vector<std::string> startup_models;
  int load_threads = 2;  // models loaded in parallel at start
  ModelLoaderOptions loader;
  // The model registry's database; empty: <model_repository>/.inferd-registry.db.
  std::filesystem::path registry_db;
  // Opens the registry's database (main passes storage/'s SQLite store).
  RegistryStoreOpener registry_store;
  uint64_t max_upload_bytes = 1ull << 30;  // a registry upload or copied source
  // Ready means every model in the repository is ready; when false, ready
  // means the server has started (models that failed are still reported).
  bool strict_readiness = true;
  // Names that resolve to a variant per request (A/B tests); owned by main,
  // must outlive the core. Null: no routes.
  const RouteTable* routes = nullptr;
  // Told of every request a route resolved (per-variant statistics, the
  // shadow); owned by main, must outlive the core. Null: nobody is told.
  RouteObserver* route_observer = nullptr;
};

struct VersionStatistics {
  std::string name;
  int64_t version = 0;
  ModelStatisticsSnapshot stats;
};

class ServerCore {
 public:
  ServerCore(ServerCoreOptions options, std::unique_ptr<BackendFactory> backends);
  ~ServerCore();

  // Loads the repository. An error only when the repository cannot be read.
  Status Start();
  // Unloads every version: each finishes its queue, then its instances stop.
  void Shutdown();

  static std::string_view Name() { return "inferd"; }
  static std::string_view Version();

  bool IsLive() const { return true; }
  bool IsReady() const;

  // `version`: empty (the highest ready), a number, or a label. A `name`
  // that is a route resolves to the variant the request's key picks
  // (core/routing/), recorded on the current request; with a version it is
  // INVALID_ARGUMENT.
  StatusOr<ModelHandle> GetModel(std::string_view name, std::string_view version) const;
  // OK when `name` can serve: a model version that resolves, or a route
  // whose every variant that takes traffic (or is its shadow) resolves;
  // otherwise why not (NOT_FOUND for a name that is neither).
  Status Readiness(std::string_view name, std::string_view version) const;

  std::vector<RepositoryIndexEntry> RepositoryIndex(bool ready_only) const;

  // The calls that change what serves. Each runs on the core's admin thread,
  // one at a time and in order, and hands its result to `done` there: a load
  // can take minutes and never holds the caller's (I/O or gRPC) thread.
  // Load and unload need explicit control mode; in the other modes they are
  // UNAVAILABLE, as in Triton. Loading a model named like a route, and
  // unloading one a route sends traffic to, are FAILED_PRECONDITION.
  using AdminDone = std::function<void(Status)>;
  void LoadModel(std::string name, std::optional<std::string> config_json, AdminDone done);
  void UnloadModel(std::string name, AdminDone done);
  // Reloads the model with `count` instances (one instance group of that
  // count; the rest of its config unchanged): the new instances load and warm
  // up beside the old ones, then take over. Explicit model control only.
  void SetInstanceCount(std::string name, int count, AdminDone done);
  // OK in explicit model control mode; otherwise Triton's UNAVAILABLE.
  Status CheckExplicitMode() const;
  // Stops serving one version (explicit mode only, like unload).
  void UnloadVersion(std::string name, int64_t version, AdminDone done);
  void SetVersionLabel(std::string name, std::string label, int64_t version, AdminDone done);
  void RemoveVersionLabel(std::string name, std::string label, AdminDone done);
  void SetDefaultVersion(std::string name, int64_t version, AdminDone done);
  // The registry. Its changes reload models, so run them with
  // RunRegistryChange (on the admin thread, in order with the calls above);
  // run reads with RunRegistryRead (never behind a load). `work` gets OK,
  // or UNAVAILABLE when the server is shutting down (then only answer).
  ModelRegistry& registry() { return registry_; }
  void RunRegistryChange(std::function<void(Status)> work);
  void RunRegistryRead(std::function<void(Status)> work);

  // Listings leave out what the caller may not see (core/model_visibility.h).
  std::vector<ModelStatus> ModelStatuses() const;
  std::vector<std::string> ModelNames() const;
  // The versions of `model` that serve now, ascending (empty when none or unknown).
  std::vector<int64_t> ReadyVersions(std::string_view model) const;

  // Statistics of the ready versions: all models (`name` empty), one model,
  // or one version. NOT_FOUND for a model the server does not know.
  StatusOr<std::vector<VersionStatistics>> Statistics(std::string_view name,
                                                      std::string_view version) const;
  MetricsRegistry& metrics() { return metrics_; }

  // Validates and queues the request; `done` is called exactly once, on a
  // model instance thread (or on the caller's thread for a request that fails
  // before it is queued).
  void Infer(InferRequest request, InferCallback done);
  // The same on a version the frontend already resolved (to decode with its
  // signature): the request runs on exactly that version, looked up once.
  void Infer(ModelHandle model, InferRequest request, InferCallback done);

 private:
  // Queues one request on the model's scheduler, pinned to `instance` when
  // set (a step of a sequence).
  void Enqueue(ModelHandle model, InferRequest request, std::optional<int> instance,
               InferCallback done);
  void RunAdmin(std::function<Status()> work, AdminDone done);
  // FAILED_PRECONDITION when a route sends traffic (or its shadow) to the
  // model (to `version`, when given, as its variant resolves now): unloading
  // it would fail the route's requests.
  Status CheckNoRouteNeeds(std::string_view model, std::optional<int64_t> version) const;
  // GetModel, with the key a route uses when the request offers none of its
  // own (a sequence's correlation id), and the request's own parameters as
  // keys too (null: none).
  StatusOr<ModelHandle> Resolve(
      std::string_view name, std::string_view version, std::optional<std::string> fallback_key,
      const std::vector<std::pair<std::string, std::string>>* parameters = nullptr) const;
  std::vector<RepositoryIndexEntry> RepositoryIndexOfAll(bool ready_only) const;
  static ModelLoaderOptions LoaderOptionsWithMetrics(ModelLoaderOptions options,
                                                     MetricsRegistry* metrics);
  void CollectModelMetrics(MetricsRegistry& registry) const;

  ServerCoreOptions options_;
  MetricsRegistry metrics_;  // before the manager: versions keep series in it
  std::unique_ptr<BackendFactory> backends_;
  ModelManager manager_;
  ModelRegistry registry_;
  std::unique_ptr<RepositoryPoller> poller_;  // poll mode only
  // Other modes: re-reads the registry every poll interval (the poller does in poll mode).
  std::unique_ptr<PeriodicTask> registry_watch_;
  ThreadPool registry_reads_{1};
  ThreadPool admin_{1};  // the admin thread; after manager_: goes first
  std::atomic<bool> started_{false};
};

}  // namespace inferd
