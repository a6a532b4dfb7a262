#include "frontends/kserve/kserve_grpc.h"

#include <deque>
#include <mutex>

#include "frontends/grpc/grpc_server.h"
#include "frontends/grpc/infer_call.h"
#include "frontends/grpc/pipeline_gate.h"
#include "frontends/kserve/kserve_grpc_codec.h"
#include "frontends/kserve/kserve_repository_codec.h"
#include "frontends/kserve/kserve_statistics.h"
#include "frontends/kserve/server_extensions.h"

namespace inferd::kserve {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
using grpcfe::ToGrpcStatus;
namespace pb = inference;

ServerUnaryReactor* Answer(CallbackServerContext* context, const grpc::Status& status) {
  ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

void FillTensorMetadata(
    const std::vector<TensorSpec>& specs,
    google::protobuf::RepeatedPtrField<pb::ModelMetadataResponse::TensorMetadata>* out) {
  for (const TensorSpec& spec : specs) {
    auto* t = out->Add();
    t->set_name(spec.name);
    t->set_datatype(std::string(DataTypeName(spec.dtype)));
    for (int64_t d : spec.shape) t->add_shape(d);
  }
}

// One ModelStreamInfer call: reads requests as they come, runs each, and
// writes each answer (or its error, in-band) as it completes. Finishes once
// the client has closed its side and every answer is written.
class StreamInferReactor
    : public grpc::ServerBidiReactor<pb::ModelInferRequest, pb::ModelStreamInferResponse> {
 public:
  StreamInferReactor(ServerCore* core, std::shared_ptr<SharedMemoryRegions> regions,
                     const grpcfe::PipelineGate* gate, CallbackServerContext* context)
      : core_(core), regions_(std::move(regions)), gate_(gate), context_(context) {
    StartNextRead();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      bool finish = false;
      {
        std::lock_guard lock(mu_);
        reads_done_ = true;
        finish = MaybeFinishLocked();
      }
      if (finish) Finish(grpc::Status::OK);
      return;
    }
    auto message = std::make_shared<pb::ModelInferRequest>(std::move(request_));
    {
      // Counted before the next read starts: that read may fail at once
      // (the client closed its side), and the call must not finish, and
      // this reactor be deleted, while this request is still running.
      std::lock_guard lock(mu_);
      ++pending_;
    }
    // Handed to the core before the next read starts, so requests reach it
    // in stream order (a sequence's steps must).
    Submit(std::move(message));
    StartNextRead();
  }

  void OnWriteDone(bool ok) override {
    bool finish = false;
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (!ok) broken_ = true;
      queue_.pop_front();
      WriteNextLocked();
      finish = MaybeFinishLocked();
    }
    if (finish) Finish(grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  void Submit(std::shared_ptr<pb::ModelInferRequest> message) {
    // Each message names its model: a refusal is answered in-band, like
    // any other error of one stream request.
    const grpcfe::Admission admitted =
        grpcfe::AdmitMessage(gate_, context_, message->model_name(), message->model_version());
    if (!admitted.ok()) {
      return Complete(Status(grpcfe::FromGrpcCode(admitted.status().error_code()),
                             admitted.status().error_message()),
                      nullptr, message->id(), {});
    }
    std::vector<ShmOutput> shm_outputs;
    auto decoded = DecodeGrpcInferRequest(*message, message, regions_.get(), &shm_outputs);
    if (!decoded.ok()) return Complete(decoded.status(), nullptr, message->id(), {});
    const std::string id = message->id();
    core_->Infer(std::move(decoded).value(),
                 [this, id, shm_outputs = std::move(shm_outputs)](StatusOr<InferResponse> result) {
                   if (result.ok()) {
                     Status written =
                         WriteOutputsToSharedMemory(regions_.get(), shm_outputs, *result);
                     if (!written.ok()) result = written;
                   }
                   if (!result.ok()) return Complete(result.status(), nullptr, id, {});
                   Complete(Status::Ok(), &*result, id, shm_outputs);
                 });
  }

  void StartNextRead() {
    request_.Clear();
    StartRead(&request_);
  }

  void Complete(const Status& status, const InferResponse* response, const std::string& id,
                const std::vector<ShmOutput>& shm_outputs) {
    pb::ModelStreamInferResponse out;
    if (status.ok()) {
      EncodeGrpcInferResponse(*response, *out.mutable_infer_response(), shm_outputs);
    } else {
      out.set_error_message(status.message());
      out.mutable_infer_response()->set_id(id);
    }
    bool finish = false;
    {
      std::lock_guard lock(mu_);
      --pending_;
      queue_.push_back(std::move(out));
      WriteNextLocked();
      finish = MaybeFinishLocked();
    }
    // Outside the lock: once finished, OnDone may delete this at any time.
    if (finish) Finish(grpc::Status::OK);
  }

  void WriteNextLocked() {
    if (writing_ || queue_.empty() || broken_) return;
    writing_ = true;
    StartWrite(&queue_.front());
  }

  // True once, when the call is to finish: the caller calls Finish after
  // releasing the lock and touches nothing of this reactor afterwards.
  bool MaybeFinishLocked() {
    if (finished_ || !reads_done_ || pending_ > 0 || writing_) return false;
    if (!queue_.empty() && !broken_) return false;
    finished_ = true;
    return true;
  }

  ServerCore* core_;
  std::shared_ptr<SharedMemoryRegions> regions_;
  const grpcfe::PipelineGate* gate_;
  CallbackServerContext* context_;
  pb::ModelInferRequest request_;
  std::mutex mu_;
  std::deque<pb::ModelStreamInferResponse> queue_;  // front is being written
  int pending_ = 0;
  bool reads_done_ = false;
  bool writing_ = false;
  bool broken_ = false;
  bool finished_ = false;
};

// A stream the pipeline refused: finishes at once with the refusal.
class RefusedStream
    : public grpc::ServerBidiReactor<pb::ModelInferRequest, pb::ModelStreamInferResponse> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

class KServeGrpcService final : public pb::GRPCInferenceService::CallbackService {
 public:
  KServeGrpcService(ServerCore* core, std::shared_ptr<SharedMemoryRegions> regions,
                    const grpcfe::PipelineGate* gate)
      : core_(core), regions_(std::move(regions)), gate_(gate) {}

  ServerUnaryReactor* ServerLive(CallbackServerContext* context, const pb::ServerLiveRequest*,
                                 pb::ServerLiveResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    response->set_live(core_->IsLive());
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ServerReady(CallbackServerContext* context, const pb::ServerReadyRequest*,
                                  pb::ServerReadyResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    response->set_ready(core_->IsReady());
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ModelReady(CallbackServerContext* context,
                                 const pb::ModelReadyRequest* request,
                                 pb::ModelReadyResponse* response) override {
    const grpcfe::Admission admitted =
        grpcfe::Admit(gate_, context, request->name(), request->version());
    // A model hidden from the caller is as not ready as a missing one.
    if (admitted.as_unknown_model()) return Answer(context, grpc::Status::OK);
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    response->set_ready(core_->Readiness(request->name(), request->version()).ok());
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ServerMetadata(CallbackServerContext* context,
                                     const pb::ServerMetadataRequest*,
                                     pb::ServerMetadataResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    response->set_name(std::string(ServerCore::Name()));
    response->set_version(std::string(ServerCore::Version()));
    for (const char* ext : kServerExtensions) {
      response->add_extensions(ext);
    }
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ModelMetadata(CallbackServerContext* context,
                                    const pb::ModelMetadataRequest* request,
                                    pb::ModelMetadataResponse* response) override {
    const grpcfe::Admission admitted =
        grpcfe::Admit(gate_, context, request->name(), request->version());
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    auto model = core_->GetModel(request->name(), request->version());
    if (!model.ok()) return Answer(context, ToGrpcStatus(model.status()));
    const LoadedModel& m = **model;
    response->set_name(m.name);
    for (int64_t v : core_->ReadyVersions(m.name)) response->add_versions(std::to_string(v));
    response->set_platform(m.config.platform());
    FillTensorMetadata(m.signature.inputs, response->mutable_inputs());
    FillTensorMetadata(m.signature.outputs, response->mutable_outputs());
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ModelConfig(CallbackServerContext* context,
                                  const pb::ModelConfigRequest* request,
                                  pb::ModelConfigResponse* response) override {
    const grpcfe::Admission admitted =
        grpcfe::Admit(gate_, context, request->name(), request->version());
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    auto model = core_->GetModel(request->name(), request->version());
    if (!model.ok()) return Answer(context, ToGrpcStatus(model.status()));
    *response->mutable_config() = (*model)->config;
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ModelStatistics(CallbackServerContext* context,
                                      const pb::ModelStatisticsRequest* request,
                                      pb::ModelStatisticsResponse* response) override {
    const grpcfe::Admission admitted =
        grpcfe::Admit(gate_, context, request->name(), request->version());
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    ScopedModelVisibility visibility(grpcfe::Visibility(gate_, context));
    auto stats = core_->Statistics(request->name(), request->version());
    if (!stats.ok()) return Answer(context, ToGrpcStatus(stats.status()));
    StatisticsToProto(*stats, *response);
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* RepositoryIndex(CallbackServerContext* context,
                                      const pb::RepositoryIndexRequest* request,
                                      pb::RepositoryIndexResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    ScopedModelVisibility visibility(grpcfe::Visibility(gate_, context));
    if (!request->repository_name().empty()) return Answer(context, NamedRepository());
    for (const RepositoryIndexEntry& e : core_->RepositoryIndex(request->ready())) {
      auto* entry = response->add_models();
      entry->set_name(e.name);
      if (e.version > 0) entry->set_version(std::to_string(e.version));
      entry->set_state(e.state);
      entry->set_reason(e.reason);
    }
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* RepositoryModelLoad(CallbackServerContext* context,
                                          const pb::RepositoryModelLoadRequest* request,
                                          pb::RepositoryModelLoadResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, request->model_name());
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    if (!request->repository_name().empty()) return Answer(context, NamedRepository());
    std::optional<std::string> config;
    for (const auto& [key, value] : request->parameters()) {
      if (key == "config" && value.has_string_param()) {
        config = value.string_param();
      } else {
        return Answer(context, ToGrpcStatus(UnknownLoadParameter(key)));
      }
    }
    ServerUnaryReactor* reactor = context->DefaultReactor();
    core_->LoadModel(request->model_name(), std::move(config), FinishLater(reactor));
    return reactor;
  }

  ServerUnaryReactor* RepositoryModelUnload(CallbackServerContext* context,
                                            const pb::RepositoryModelUnloadRequest* request,
                                            pb::RepositoryModelUnloadResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, request->model_name());
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    if (!request->repository_name().empty()) return Answer(context, NamedRepository());
    ServerUnaryReactor* reactor = context->DefaultReactor();
    core_->UnloadModel(request->model_name(), FinishLater(reactor));
    return reactor;
  }

  // Finishes the call from the core's admin thread, once the change is done
  // (never on this callback thread).
  static ServerCore::AdminDone FinishLater(ServerUnaryReactor* reactor) {
    return [reactor](Status status) { reactor->Finish(ToGrpcStatus(status)); };
  }

  static grpc::Status NamedRepository() {
    return ToGrpcStatus(
        Unsupported("'repository_name' specification is not supported: inferd serves one "
                    "model repository"));
  }

  ServerUnaryReactor* ModelInfer(CallbackServerContext* context,
                                 const pb::ModelInferRequest* request,
                                 pb::ModelInferResponse* response) override {
    const grpcfe::Admission admitted =
        grpcfe::Admit(gate_, context, request->model_name(), request->model_version());
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    // The request message lives until Finish, and Finish comes after the
    // inference is done, so raw inputs can borrow from it without an owner.
    std::vector<ShmOutput> shm_outputs;
    auto decoded = DecodeGrpcInferRequest(*request, nullptr, regions_.get(), &shm_outputs);
    if (!decoded.ok()) return Answer(context, ToGrpcStatus(decoded.status()));
    auto* reactor = new grpcfe::InferReactor();
    grpcfe::BindCallToRequest(*context, *reactor, *decoded);
    core_->Infer(std::move(decoded).value(),
                 [reactor, response, regions = regions_,
                  shm_outputs = std::move(shm_outputs)](StatusOr<InferResponse> result) {
                   if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
                   Status written = WriteOutputsToSharedMemory(regions.get(), shm_outputs, *result);
                   if (!written.ok()) return reactor->Finish(ToGrpcStatus(written));
                   EncodeGrpcInferResponse(*result, *response, shm_outputs);
                   reactor->Finish(grpc::Status::OK);
                 });
    return reactor;
  }

  // Triton's shared-memory extension; see core/shared_memory.h.
  ServerUnaryReactor* SystemSharedMemoryStatus(
      CallbackServerContext* context, const pb::SystemSharedMemoryStatusRequest* request,
      pb::SystemSharedMemoryStatusResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    auto listed = regions_->List(request->name());
    if (!listed.ok()) return Answer(context, ToGrpcStatus(listed.status()));
    for (const auto& r : *listed) {
      auto& status = (*response->mutable_regions())[r.name];
      status.set_name(r.name);
      status.set_key(r.key);
      status.set_offset(r.offset);
      status.set_byte_size(r.byte_size);
    }
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* SystemSharedMemoryRegister(
      CallbackServerContext* context, const pb::SystemSharedMemoryRegisterRequest* request,
      pb::SystemSharedMemoryRegisterResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    const bool local = grpcfe::PeerIsLoopback(context->peer());
    return Answer(
        context, ToGrpcStatus(regions_->Register(request->name(), request->key(), request->offset(),
                                                 request->byte_size(), local)));
  }

  ServerUnaryReactor* SystemSharedMemoryUnregister(
      CallbackServerContext* context, const pb::SystemSharedMemoryUnregisterRequest* request,
      pb::SystemSharedMemoryUnregisterResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    return Answer(context, ToGrpcStatus(regions_->Unregister(request->name())));
  }

  // Without GPUs, as Triton answers: no CUDA regions, none can be registered.
  ServerUnaryReactor* CudaSharedMemoryStatus(CallbackServerContext* context,
                                             const pb::CudaSharedMemoryStatusRequest* request,
                                             pb::CudaSharedMemoryStatusResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    if (request->name().empty()) return Answer(context, grpc::Status::OK);
    return Answer(context, ToGrpcStatus(NotFound("Unable to find cuda shared memory region: '" +
                                                 request->name() + "'")));
  }

  ServerUnaryReactor* CudaSharedMemoryRegister(CallbackServerContext* context,
                                               const pb::CudaSharedMemoryRegisterRequest* request,
                                               pb::CudaSharedMemoryRegisterResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    return Answer(context, ToGrpcStatus(InvalidArgument(
                               "failed to register CUDA shared memory region: '" + request->name() +
                               "', GPUs not supported (this inferd build runs "
                               "on CPU)")));
  }

  ServerUnaryReactor* CudaSharedMemoryUnregister(CallbackServerContext* context,
                                                 const pb::CudaSharedMemoryUnregisterRequest*,
                                                 pb::CudaSharedMemoryUnregisterResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    return Answer(context, grpc::Status::OK);
  }

  grpc::ServerBidiReactor<pb::ModelInferRequest, pb::ModelStreamInferResponse>* ModelStreamInfer(
      CallbackServerContext* context) override {
    // Credentials, limits and the infer role are the stream's; each message's
    // model is checked as it comes.
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return new RefusedStream(admitted.status());
    }
    return new StreamInferReactor(core_, regions_, gate_, context);
  }

 private:
  ServerCore* core_;
  std::shared_ptr<SharedMemoryRegions> regions_;
  const grpcfe::PipelineGate* gate_;
};

}  // namespace

std::unique_ptr<grpc::Service> MakeKServeGrpcService(ServerCore* core,
                                                     std::shared_ptr<SharedMemoryRegions> regions,
                                                     const grpcfe::PipelineGate* gate) {
  return std::make_unique<KServeGrpcService>(core, std::move(regions), gate);
}

void AddKServeRpcs(grpcfe::RpcTable& rpcs) {
  using pipeline::RouteKind;
  const std::pair<const char*, RouteKind> kinds[] = {
      {"ServerLive", RouteKind::kHealth},
      {"ServerReady", RouteKind::kHealth},
      {"ModelReady", RouteKind::kRead},
      {"ServerMetadata", RouteKind::kRead},
      {"ModelMetadata", RouteKind::kRead},
      {"ModelInfer", RouteKind::kInfer},
      {"ModelStreamInfer", RouteKind::kInfer},
      {"ModelConfig", RouteKind::kRead},
      {"ModelStatistics", RouteKind::kRead},
      {"RepositoryIndex", RouteKind::kRead},
      {"RepositoryModelLoad", RouteKind::kAdmin},
      {"RepositoryModelUnload", RouteKind::kAdmin},
      {"SystemSharedMemoryStatus", RouteKind::kInfer},
      {"SystemSharedMemoryRegister", RouteKind::kInfer},
      {"SystemSharedMemoryUnregister", RouteKind::kInfer},
      {"CudaSharedMemoryStatus", RouteKind::kInfer},
      {"CudaSharedMemoryRegister", RouteKind::kInfer},
      {"CudaSharedMemoryUnregister", RouteKind::kInfer},
  };
  for (const auto& [name, kind] : kinds) {
    rpcs.emplace(std::string("/inference.GRPCInferenceService/") + name,
                 grpcfe::RpcInfo{kind, "kserve-grpc"});
  }
}

}  // namespace inferd::kserve
