#include "core/server_core.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>

#include "core/model_config.h"
#include "core/model_visibility.h"
#include "core/request_validator.h"
#include "core/routing/route_keys_scope.h"
#include "core/version.h"
#include "observability/process_metrics.h"

namespace inferd {

ServerCore::ServerCore(ServerCoreOptions options, std::unique_ptr<BackendFactory> backends)
    : options_(std::move(options)),
      backends_(std::move(backends)),
      manager_(ModelLoader(backends_.get(), LoaderOptionsWithMetrics(options_.loader, &metrics_)),
               options_.model_repository),
      registry_(manager_,
                options_.registry_db.empty() ? options_.model_repository / ".inferd-registry.db"
                                             : options_.registry_db,
                options_.max_upload_bytes, options_.registry_store) {
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
  std::error_code ec;
  if (!std::filesystem::is_directory(options_.model_repository, ec)) {
    return NotFound("model repository '" + options_.model_repository.string() +
                    "' is not a directory");
  }
  // A registry that cannot be read is logged; the models still serve.
  (void)registry_.Start();
  const int threads = std::max(1, options_.load_threads);
  if (options_.control_mode != ModelControlMode::kExplicit) {
    INFERD_RETURN_IF_ERROR(manager_.LoadModels({}, threads));
  } else {
    // Explicit mode: the models asked for, and the ones the registry stages.
    std::vector<std::string> names = options_.startup_models;
    const bool all = std::find(names.begin(), names.end(), "*") != names.end();
    for (const auto& planned : registry_.PlannedModels()) {
      if (std::find(names.begin(), names.end(), planned) == names.end()) names.push_back(planned);
    }
    if (all || !names.empty()) {
      INFERD_RETURN_IF_ERROR(
          manager_.LoadModels(all ? std::vector<std::string>{} : names, threads));
    }
  }
  if (options_.control_mode == ModelControlMode::kPoll) {
    poller_ = std::make_unique<RepositoryPoller>(&manager_, options_.poll_interval,
                                                 [this] { registry_.Refresh(); });
    poller_->Start();
  } else {
    // The registry is an API of its own: what another process writes to it,
    // or a database that could not be read at start, applies in every mode.
    registry_watch_ =
        std::make_unique<PeriodicTask>(options_.poll_interval, [this] { registry_.Refresh(); });
  }
  started_.store(true);
  return Status::Ok();
}

void ServerCore::Shutdown() {
  if (poller_) poller_->Stop();
  if (registry_watch_) registry_watch_->Stop();
  registry_reads_.Shutdown();
  admin_.Shutdown();  // finishes the transitions already asked for
  // Each version's scheduler finishes its queue when the version goes.
  manager_.UnloadAll();
}

void ServerCore::RunRegistryChange(std::function<void(Status)> work) {
  // The caller's visibility and request go with the work onto the admin thread.
  if (!admin_.Submit([work, visibility = CurrentModelVisibility(), request = CurrentRequest()] {
        ScopedModelVisibility scope(visibility);
        ScopedRequest logged_as(request);
        work(Status::Ok());
      })) {
    work(Unavailable("the server is shutting down"));
  }
}

void ServerCore::RunRegistryRead(std::function<void(Status)> work) {
  if (!registry_reads_.Submit(
          [work, visibility = CurrentModelVisibility(), request = CurrentRequest()] {
            ScopedModelVisibility scope(visibility);
            ScopedRequest logged_as(request);
            work(Status::Ok());
          })) {
    work(Unavailable("the server is shutting down"));
  }
}

Status ServerCore::CheckExplicitMode() const {
  if (options_.control_mode == ModelControlMode::kExplicit) return Status::Ok();
  return Unavailable(
      "explicit model load / unload is not allowed: start inferd with "
      "--model-control-mode=explicit");
}

Status ServerCore::CheckNoRouteNeeds(std::string_view model, std::optional<int64_t> version) const {
  if (options_.routes == nullptr) return Status::Ok();
  for (const Route& route : options_.routes->List()) {
    for (const RouteVariant& v : route.variants) {
      if (!route.Serves(v) || v.model != model) continue;
      if (version) {
        auto handle = manager_.Get(v.model, v.version);
        if (!handle.ok() || (*handle)->version != *version) continue;
      }
      return FailedPrecondition("model '" + std::string(model) + "'" +
                                (version ? " version " + std::to_string(*version) : "") +
                                " serves variant '" + v.name + "' of route '" + route.name +
                                "'; change or delete the route first");
    }
  }
  return Status::Ok();
}

void ServerCore::LoadModel(std::string name, std::optional<std::string> config_json,
                           AdminDone done) {
  RunAdmin(
      [this, name = std::move(name), config_json = std::move(config_json)] {
        INFERD_RETURN_IF_ERROR(CheckExplicitMode());
        // A route answers for its name: a model loaded under it would never serve.
        if (options_.routes != nullptr && options_.routes->Find(name)) {
          return FailedPrecondition("'" + name +
                                    "' is a route; a model of that name would be hidden by it. "
                                    "Delete the route first");
        }
        return manager_.Load(name, config_json);
      },
      std::move(done));
}

void ServerCore::SetInstanceCount(std::string name, int count, AdminDone done) {
  RunAdmin(
      [this, name = std::move(name), count]() -> Status {
        INFERD_RETURN_IF_ERROR(CheckExplicitMode());
        if (count < 1) return InvalidArgument("a model needs at least one instance");
        INFERD_ASSIGN_OR_RETURN(ModelHandle current, manager_.Get(name, ""));
        inference::ModelConfig config = current->config;
        config.clear_instance_group();
        auto* group = config.add_instance_group();
        group->set_count(count);
        group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
        current.reset();  // the old version may unload as soon as the new one serves
        return manager_.Load(name, ModelConfigToJson(config));
      },
      std::move(done));
}

void ServerCore::UnloadModel(std::string name, AdminDone done) {
  RunAdmin(
      [this, name = std::move(name)] {
        INFERD_RETURN_IF_ERROR(CheckExplicitMode());
        INFERD_RETURN_IF_ERROR(CheckNoRouteNeeds(name, std::nullopt));
        return manager_.Unload(name);
      },
      std::move(done));
}

void ServerCore::UnloadVersion(std::string name, int64_t version, AdminDone done) {
  RunAdmin(
      [this, name = std::move(name), version] {
        INFERD_RETURN_IF_ERROR(CheckExplicitMode());
        INFERD_RETURN_IF_ERROR(CheckNoRouteNeeds(name, version));
        return manager_.UnloadVersion(name, version);
      },
      std::move(done));
}

void ServerCore::SetDefaultVersion(std::string name, int64_t version, AdminDone done) {
  RunAdmin(
      [this, name = std::move(name), version] { return manager_.SetDefaultVersion(name, version); },
      std::move(done));
}

void ServerCore::SetVersionLabel(std::string name, std::string label, int64_t version,
                                 AdminDone done) {
  RunAdmin([this, name = std::move(name), label = std::move(label),
            version] { return manager_.SetLabel(name, label, version); },
           std::move(done));
}

void ServerCore::RemoveVersionLabel(std::string name, std::string label, AdminDone done) {
  RunAdmin([this, name = std::move(name),
            label = std::move(label)] { return manager_.RemoveLabel(name, label); },
           std::move(done));
}

std::vector<ModelStatus> ServerCore::ModelStatuses() const {
  std::vector<ModelStatus> out = manager_.Statuses();
  std::erase_if(out, [](const ModelStatus& s) { return !ModelVisibleNow(s.name); });
  return out;
}

std::vector<std::string> ServerCore::ModelNames() const {
  std::vector<std::string> out = manager_.Names();
  std::erase_if(out, [](const std::string& name) { return !ModelVisibleNow(name); });
  return out;
}

std::vector<RepositoryIndexEntry> ServerCore::RepositoryIndex(bool ready_only) const {
  std::vector<RepositoryIndexEntry> out = RepositoryIndexOfAll(ready_only);
  std::erase_if(out, [](const RepositoryIndexEntry& e) { return !ModelVisibleNow(e.name); });
  return out;
}

std::vector<RepositoryIndexEntry> ServerCore::RepositoryIndexOfAll(bool ready_only) const {
  std::vector<RepositoryIndexEntry> out;
  std::set<std::string> known;
  for (const ModelStatus& model : manager_.Statuses()) {
    known.insert(model.name);
    if (model.versions.empty() && !ready_only) {
      out.push_back({model.name, 0, "UNAVAILABLE", model.reason});
    }
    for (const VersionStatus& v : model.versions) {
      if (ready_only && v.state != ModelState::kReady) continue;
      out.push_back({model.name, v.version, std::string(ModelStateName(v.state)),
                     v.reason.empty() ? model.reason : v.reason});
    }
  }
  if (!ready_only) {
    // Models on disk that were never loaded (explicit mode) are listed by name.
    auto names = ListModelNames(options_.model_repository);
    if (names.ok()) {
      for (const std::string& name : *names) {
        if (!known.count(name)) out.push_back({name, 0, "", ""});
      }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const RepositoryIndexEntry& a, const RepositoryIndexEntry& b) {
                       return a.name < b.name;
                     });
  }
  return out;
}

void ServerCore::RunAdmin(std::function<Status()> work, AdminDone done) {
  // The admin thread's lines about the change name the request that asked.
  auto task = [work = std::move(work), done, request = CurrentRequest()]() {
    ScopedRequest logged_as(request);
    done(work());
  };
  if (!admin_.Submit(task)) done(Unavailable("the server is shutting down"));
}

bool ServerCore::IsReady() const {
  if (!started_.load()) return false;
  return !options_.strict_readiness || manager_.AllReady();
}

StatusOr<ModelHandle> ServerCore::GetModel(std::string_view name, std::string_view version) const {
  return Resolve(name, version, std::nullopt);
}

Status ServerCore::Readiness(std::string_view name, std::string_view version) const {
  std::shared_ptr<const Route> route = options_.routes ? options_.routes->Find(name) : nullptr;
  if (!route) return manager_.Get(name, version).status();
  if (!version.empty()) return route->RefuseVersion();
  for (const RouteVariant& v : route->variants) {
    if (!route->Serves(v)) continue;
    if (auto handle = manager_.Get(v.model, v.version); !handle.ok()) {
      return Unavailable("variant '" + v.name + "' of route '" + route->name +
                         "' is not ready: " + handle.status().message());
    }
  }
  return Status::Ok();
}

namespace {

// The keys the frontend offers (headers, identity), and the request's own
// parameters beside them.
class KeysWithParameters final : public RouteKeyValues {
 public:
  KeysWithParameters(const RouteKeyValues* base,
                     const std::vector<std::pair<std::string, std::string>>& parameters)
      : base_(base), parameters_(parameters) {}
  std::optional<std::string> Header(std::string_view name) const override {
    return base_ ? base_->Header(name) : std::nullopt;
  }
  std::optional<std::string> Query(std::string_view name) const override {
    return base_ ? base_->Query(name) : std::nullopt;
  }
  std::optional<std::string> Identity() const override {
    return base_ ? base_->Identity() : std::nullopt;
  }
  std::optional<std::string> ForcedVariant() const override {
    return base_ ? base_->ForcedVariant() : std::nullopt;
  }
  std::optional<std::string> Parameter(std::string_view name) const override {
    for (const auto& [key, value] : parameters_) {
      if (key == name) return value;
    }
    return base_ ? base_->Parameter(name) : std::nullopt;
  }

 private:
  const RouteKeyValues* base_;
  const std::vector<std::pair<std::string, std::string>>& parameters_;
};

}  // namespace

StatusOr<ModelHandle> ServerCore::Resolve(
    std::string_view name, std::string_view version, std::optional<std::string> fallback_key,
    const std::vector<std::pair<std::string, std::string>>* parameters) const {
  if (options_.routes != nullptr) {
    if (std::shared_ptr<const Route> route = options_.routes->Find(name)) {
      if (!version.empty()) return route->RefuseVersion();
      std::optional<KeysWithParameters> with_parameters;
      const RouteKeyValues* keys = CurrentRouteKeys();
      if (parameters != nullptr && !parameters->empty()) {
        keys = &with_parameters.emplace(keys, *parameters);
      }
      const RouteVariant* forced = nullptr;
      if (auto asked = keys ? keys->ForcedVariant() : std::nullopt) {
        for (const RouteVariant& v : route->variants) {
          if (v.name == *asked) forced = &v;
        }
        if (forced == nullptr) {
          return InvalidArgument("route '" + route->name + "' has no variant '" + *asked +
                                 "' (X-Inferd-Variant)");
        }
      }
      const RouteVariant& variant =
          forced ? *forced : ChooseVariant(*route, keys, std::move(fallback_key));
      auto handle = manager_.Get(variant.model, variant.version);
      auto request = CurrentRequest();
      if (request) {
        request->SetServedBy(
            {route->name, variant.name, variant.model, handle.ok() ? (*handle)->version : 0});
      }
      // The users the variant was to serve get an error: it counts against it.
      if (!handle.ok() && options_.route_observer != nullptr) {
        options_.route_observer->Finished(route->name, variant.name, RouteOutcome::kUnavailable,
                                          {});
      }
      return handle;
    }
    // A stream's earlier request may have named a route: this one did not.
    if (!options_.routes->empty()) {
      if (auto request = CurrentRequest()) request->ClearServedBy();
    }
  }
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
    if (!known) return ModelManager::UnknownModel(name);
  }
  manager_.ForEachReady([&](const ModelHandle& handle) {
    if ((name.empty() && ModelVisibleNow(handle->name)) || handle->name == name) {
      out.push_back({handle->name, handle->version, handle->stats->Snapshot()});
    }
  });
  return out;
}

void ServerCore::CollectModelMetrics(MetricsRegistry& registry) const {
  // Rebuilt at each scrape, so versions that were unloaded or removed vanish.
  registry.ClearGauges("inferd_model_state");
  registry.ClearGauges("inferd_queue_depth");
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
  // Every step of a sequence goes to the same variant: its correlation id
  // is the key when the route's own key gives none.
  auto model = Resolve(request.model_name, request.model_version,
                       request.sequence.HasId()
                           ? std::optional<std::string>("sequence:" + request.sequence.IdString())
                           : std::nullopt,
                       &request.parameters);
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

namespace {

// The outputs a request wants classified must exist and hold classifiable types.
Status CheckClassifications(const LoadedModel& model, const InferRequest& request) {
  for (const OutputClassification& c : request.classifications) {
    const TensorSpec* spec = nullptr;
    for (const TensorSpec& out : model.signature.outputs) {
      if (out.name == c.output) spec = &out;
    }
    if (spec == nullptr) {
      return InvalidArgument("unexpected inference output '" + c.output + "' for model '" +
                             model.name + "'");
    }
    INFERD_RETURN_IF_ERROR(CheckClassifiable(c.output, spec->dtype));
    if (model.sequences && model.sequences->IsStateOutput(c.output)) {
      return InvalidArgument("output '" + c.output + "' of model '" + model.name +
                             "' is a sequence state; it cannot be classified");
    }
  }
  return Status::Ok();
}

// A request's copy for its route's shadow: the inputs in bytes of its own (the
// original's may be borrowed from a body or a shared-memory region that is
// gone, or rewritten, by the time the shadow runs).
InferRequest CopyForMirror(const InferRequest& request) {
  InferRequest copy;
  copy.inputs.reserve(request.inputs.size());
  for (const Tensor& input : request.inputs) {
    Tensor& owned = copy.inputs.emplace_back(input.name(), input.dtype(), input.shape());
    std::byte* bytes = owned.Allocate(input.byte_size());
    if (input.byte_size() > 0) std::memcpy(bytes, input.data(), input.byte_size());
  }
  copy.requested_outputs = request.requested_outputs;
  copy.classifications = request.classifications;
  copy.protocol = "shadow";
  return copy;
}

// Replaces each classified output by its top classes.
Status ApplyClassifications(const LoadedModel& model,
                            const std::vector<OutputClassification>& classifications,
                            std::vector<Tensor>& outputs) {
  const bool batched = model.config.max_batch_size() > 0;
  for (const OutputClassification& c : classifications) {
    for (Tensor& out : outputs) {
      if (out.name() != c.output) continue;
      const std::vector<std::string>* labels = nullptr;
      for (const TensorSpec& spec : model.signature.outputs) {
        if (spec.name == c.output) labels = &spec.class_labels;
      }
      static const std::vector<std::string> kNoLabels;
      INFERD_ASSIGN_OR_RETURN(out, Classify(out, c.count, batched, labels ? *labels : kNoLabels));
    }
  }
  return Status::Ok();
}

}  // namespace

void ServerCore::Infer(ModelHandle handle, InferRequest request, InferCallback done) {
  if (!request.scope) request.scope = CurrentRequest();
  // An id the body names (KServe's `id`) is the request's id in the logs.
  if (request.scope && !request.id.empty()) request.scope->AdoptNamedId(request.id);
  if (handle->sequences) {
    SequenceBatcher* sequences = handle->sequences.get();
    // Weak: a queued step must not keep its model version alive (the batcher
    // it waits in belongs to that version); a running step holds it.
    std::weak_ptr<const LoadedModel> weak = handle;
    return sequences->Submit(
        std::move(request), std::move(done),
        [this, weak](InferRequest step, int instance, InferCallback step_done) {
          ModelHandle model = weak.lock();
          if (!model) return step_done(Unavailable("the model version is unloading"));
          Enqueue(std::move(model), std::move(step), instance, std::move(step_done));
        });
  }
  Enqueue(std::move(handle), std::move(request), std::nullopt, std::move(done));
}

void ServerCore::Enqueue(ModelHandle handle, InferRequest request, std::optional<int> instance,
                         InferCallback done) {
  const auto arrived = SchedulerClock::now();
  ModelStatistics& stats = *handle->stats;
  // The route that resolved to this version, read now: a stream's later
  // requests may resolve other routes on the same scope.
  std::shared_ptr<const RequestScope::ServedBy> served =
      request.scope ? request.scope->served_by() : nullptr;
  if (served && (served->model != handle->name || served->version != handle->version)) {
    served.reset();
  }
  RouteObserver* observer = served ? options_.route_observer : nullptr;
  if (Status classes = CheckClassifications(*handle, request); !classes.ok()) {
    stats.RecordRequest(request.protocol, classes, SchedulerClock::now() - arrived, {});
    if (observer) {
      observer->Finished(served->route, served->variant, RouteOutcome::kCallerError, {});
    }
    return done(classes);
  }
  // A sequence's steps are never mirrored: the shadow would not hold its state.
  std::optional<InferRequest> mirror;
  if (observer && !request.sequence.HasId() &&
      observer->SampleShadow(served->route, served->variant)) {
    mirror = CopyForMirror(request);
  }
  auto prepared = PrepareRequest(*handle, request);
  if (!prepared.ok()) {
    stats.RecordRequest(request.protocol, prepared.status(), SchedulerClock::now() - arrived, {});
    if (observer) {
      observer->Finished(served->route, served->variant, RouteOutcome::kCallerError, {});
    }
    return done(prepared.status());
  }

  QueuedRequest queued;
  queued.prepared = std::move(prepared).value();
  queued.timeout = request.timeout;
  if (request.priority > 0) queued.level = request.priority - 1;
  queued.background = request.background;
  queued.budget = request.budget;
  queued.run_alone = request.run_alone;
  queued.cancelled = std::move(request.cancelled);
  queued.instance = instance;
  queued.scope = request.scope;
  // The callback holds the handle, so the version stays loaded until it is done.
  queued.done = [handle, arrived, protocol = request.protocol, id = std::move(request.id),
                 classifications = std::move(request.classifications), scope = request.scope,
                 served, observer, mirror = std::move(mirror), done](
                    StatusOr<std::vector<Tensor>> outputs, const ExecutionReport& report) mutable {
    if (outputs.ok() && !classifications.empty()) {
      Status classified = ApplyClassifications(*handle, classifications, *outputs);
      if (!classified.ok()) outputs = classified;
    }
    const auto took = SchedulerClock::now() - arrived;
    handle->stats->RecordRequest(protocol, outputs.ok() ? Status::Ok() : outputs.status(), took,
                                 report);
    handle->stats->RequestFinished();
    if (observer) {
      // Past validation, an error is the variant's (a client that left is not).
      const RouteOutcome outcome = outputs.ok() ? RouteOutcome::kSuccess
                                   : outputs.status().code() == StatusCode::kCancelled
                                       ? RouteOutcome::kCallerError
                                       : RouteOutcome::kFailure;
      observer->Finished(served->route, served->variant, outcome, took);
    }
    if (scope) {
      scope->AddExecution(report.queue,
                          report.compute_input + report.compute_infer + report.compute_output);
    }
    if (!outputs.ok()) return done(outputs.status());
    InferResponse response;
    response.model_name = handle->name;
    response.model_version = handle->version;
    response.id = std::move(id);
    if (served) {
      response.route = served->route;
      response.variant = served->variant;
    }
    response.outputs = std::move(outputs).value();
    if (!mirror) return done(std::move(response));
    // Mirrored once the answer is on its way: the shadow adds nothing to it.
    std::vector<Tensor> primary = response.outputs;
    done(std::move(response));
    observer->Mirror(served->route, std::move(*mirror), std::move(primary));
  };
  stats.RequestStarted();
  Status status = handle->scheduler->Enqueue(std::move(queued));
  if (!status.ok()) {
    stats.RequestFinished();
    stats.RecordRequest(request.protocol, status, SchedulerClock::now() - arrived, {});
    if (observer) {  // a full queue: the variant could not keep up
      observer->Finished(served->route, served->variant, RouteOutcome::kFailure,
                         SchedulerClock::now() - arrived);
    }
    done(std::move(status));
  }
}

}  // namespace inferd
