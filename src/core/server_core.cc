#include "core/server_core.h"

#include <thread>

#include "core/request_validator.h"
#include "core/version.h"
#include "observability/process_metrics.h"

namespace inferd {

ServerCore::ServerCore(ServerCoreOptions options, std::unique_ptr<BackendFactory> backends)
    : options_(std::move(options)),
      backends_(std::move(backends)),
      manager_(ModelLoader(backends_.get(), LoaderOptionsWithMetrics(options_.loader, &metrics_))) {
  AddProcessMetrics(metrics_);
  metrics_.AddCollector([this](MetricsRegistry& registry) { CollectModelMetrics(registry); });
}

ModelLoaderOptions ServerCore::LoaderOptionsWithMetrics(ModelLoaderOptions options,
                                                        MetricsRegistry* metrics) {
  options.metrics = metrics;
  return options;
}

ServerCore::~ServerCore() {
  Shutdown();
}

std::string_view ServerCore::Version() {
  return kInferdVersion;
}

Status ServerCore::Start() {
  INFERD_RETURN_IF_ERROR(
      manager_.LoadRepository(options_.model_repository, std::max(1, options_.load_threads)));
  started_.store(true);
  return Status::Ok();
}

void ServerCore::Shutdown() {
  // Each version's scheduler finishes its queue when the version goes.
  manager_.UnloadAll();
}

bool ServerCore::IsReady() const {
  if (!started_.load()) return false;
  return !options_.strict_readiness || manager_.AllReady();
}

StatusOr<ModelHandle> ServerCore::GetModel(std::string_view name, std::string_view version) const {
  return manager_.Get(name, version);
}

std::vector<int64_t> ServerCore::ReadyVersions(std::string_view model) const {
  std::vector<int64_t> out;
  for (const ModelStatus& status : manager_.Statuses()) {
    if (status.name != model) continue;
    for (const auto& v : status.versions) {
      if (v.state == ModelState::kReady) out.push_back(v.version);
    }
  }
  return out;
}

StatusOr<std::vector<VersionStatistics>> ServerCore::Statistics(std::string_view name,
                                                                std::string_view version) const {
  std::vector<VersionStatistics> out;
  if (!name.empty()) {
    // Resolves like an inference request would, so errors read the same.
    if (!version.empty()) {
      INFERD_ASSIGN_OR_RETURN(ModelHandle handle, manager_.Get(name, version));
      out.push_back({handle->name, handle->version, handle->stats->Snapshot()});
      return out;
    }
    bool known = false;
    for (const ModelStatus& status : manager_.Statuses()) known |= status.name == name;
    if (!known) return NotFound("unknown model '" + std::string(name) + "'");
  }
  manager_.ForEachReady([&](const ModelHandle& handle) {
    if (name.empty() || handle->name == name) {
      out.push_back({handle->name, handle->version, handle->stats->Snapshot()});
    }
  });
  return out;
}

void ServerCore::CollectModelMetrics(MetricsRegistry& registry) const {
  for (const ModelStatus& status : manager_.Statuses()) {
    for (const VersionStatus& v : status.versions) {
      for (ModelState state : {ModelState::kLoading, ModelState::kReady, ModelState::kUnavailable,
                               ModelState::kUnloading}) {
        registry
            .GetGauge("inferd_model_state",
                      "1 for the state each model version is in, 0 for the others.",
                      {{"model", status.name},
                       {"version", std::to_string(v.version)},
                       {"state", std::string(ModelStateName(state))}})
            .Set(v.state == state ? 1 : 0);
      }
    }
  }
  manager_.ForEachReady([&registry](const ModelHandle& handle) {
    registry
        .GetGauge("inferd_queue_depth", "Requests waiting in the model version's queue.",
                  {{"model", handle->name}, {"version", std::to_string(handle->version)}})
        .Set(static_cast<double>(handle->scheduler->queue_depth()));
  });
}

void ServerCore::Infer(InferRequest request, InferCallback done) {
  auto model = manager_.Get(request.model_name, request.model_version);
  if (!model.ok()) {
    metrics_
        .GetCounter("inferd_unresolved_requests_total",
                    "Inference requests that named no servable model version.",
                    {{"protocol", std::string(request.protocol)},
                     {"status", std::string(RequestStatusLabel(model.status().code()))}})
        .Increment();
    return done(model.status());
  }
  Infer(std::move(model).value(), std::move(request), std::move(done));
}

void ServerCore::Infer(ModelHandle handle, InferRequest request, InferCallback done) {
  const auto arrived = SchedulerClock::now();
  ModelStatistics& stats = *handle->stats;
  auto prepared = PrepareRequest(*handle, request);
  if (!prepared.ok()) {
    stats.RecordRequest(request.protocol, prepared.status(), SchedulerClock::now() - arrived, {});
    return done(prepared.status());
  }

  QueuedRequest queued;
  queued.prepared = std::move(prepared).value();
  queued.timeout = request.timeout;
  if (request.priority > 0) queued.level = request.priority - 1;
  queued.cancelled = std::move(request.cancelled);
  // The callback holds the handle, so the version stays loaded until it is done.
  queued.done = [handle, arrived, protocol = request.protocol, id = std::move(request.id), done](
                    StatusOr<std::vector<Tensor>> outputs, const ExecutionReport& report) mutable {
    handle->stats->RecordRequest(protocol, outputs.ok() ? Status::Ok() : outputs.status(),
                                 SchedulerClock::now() - arrived, report);
    handle->stats->RequestFinished();
    if (!outputs.ok()) return done(outputs.status());
    InferResponse response;
    response.model_name = handle->name;
    response.model_version = handle->version;
    response.id = std::move(id);
    response.outputs = std::move(outputs).value();
    done(std::move(response));
  };
  stats.RequestStarted();
  Status status = handle->scheduler->Enqueue(std::move(queued));
  if (!status.ok()) {
    stats.RequestFinished();
    stats.RecordRequest(request.protocol, status, SchedulerClock::now() - arrived, {});
    done(std::move(status));
  }
}

}  // namespace inferd
