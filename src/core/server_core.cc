#include "core/server_core.h"

#include "core/request_validator.h"
#include "core/version.h"

namespace inferd {

ServerCore::ServerCore(ServerCoreOptions options, std::unique_ptr<BackendFactory> backends)
    : options_(std::move(options)),
      backends_(std::move(backends)),
      manager_(ModelLoader(backends_.get(), options_.loader)),
      pool_(options_.execution_threads) {}

ServerCore::~ServerCore() {
  Shutdown();
}

std::string_view ServerCore::Version() {
  return kInferdVersion;
}

Status ServerCore::Start() {
  INFERD_RETURN_IF_ERROR(
      manager_.LoadRepository(options_.model_repository, std::max(1, options_.execution_threads)));
  started_.store(true);
  return Status::Ok();
}

void ServerCore::Shutdown() {
  pool_.Shutdown();
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

void ServerCore::Infer(InferRequest request, InferCallback done) {
  auto model = manager_.Get(request.model_name, request.model_version);
  if (!model.ok()) return done(model.status());
  ModelHandle handle = std::move(model).value();
  auto prepared = PrepareRequest(*handle, request);
  if (!prepared.ok()) return done(prepared.status());

  // The task holds the handle, so the version stays loaded until it is done.
  auto task = [handle, prepared = std::move(prepared).value(), id = std::move(request.id),
               done]() mutable {
    auto outputs = handle->backend->Execute(prepared.inputs, prepared.outputs);
    if (!outputs.ok()) return done(outputs.status());
    InferResponse response;
    response.model_name = handle->name;
    response.model_version = handle->version;
    response.id = std::move(id);
    response.outputs = std::move(outputs).value();
    done(std::move(response));
  };
  if (!pool_.Submit(std::move(task))) done(Unavailable("server is shutting down"));
}

}  // namespace inferd
