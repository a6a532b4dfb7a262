#include "frontends/tfserving/tfserving_grpc.h"

#include <algorithm>

#include "frontends/grpc/grpc_server.h"
#include "frontends/grpc/infer_call.h"
#include "frontends/tfserving/tensor_proto_codec.h"
#include "frontends/tfserving/tf_examples.h"
#include "frontends/tfserving/tf_model_info.h"
#include "frontends/tfserving/tfserving_json.h"

namespace inferd::tfserving {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
using grpcfe::ToGrpcStatus;
namespace pb = tensorflow::serving;

ServerUnaryReactor* Answer(CallbackServerContext* context, const grpc::Status& status) {
  ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

ServerUnaryReactor* Answer(CallbackServerContext* context, const Status& status) {
  return Answer(context, ToGrpcStatus(status));
}

// The model version a ModelSpec names, pinned.
StatusOr<ModelHandle> Resolve(const ServerCore& core, const pb::ModelSpec& spec) {
  if (!spec.signature_name().empty() && spec.signature_name() != kDefaultSignature) {
    return InvalidArgument("Serving signature name: \"" + spec.signature_name() +
                           "\" not found in signature def (inferd models have one signature, "
                           "\"serving_default\")");
  }
  switch (spec.version_choice_case()) {
    case pb::ModelSpec::kVersionLabel:
      return ResolveLabel(core, spec.name(), spec.version_label());
    case pb::ModelSpec::kVersion:
      if (spec.version().value() <= 0) {
        return NotFound("model '" + spec.name() + "' has no version " +
                        std::to_string(spec.version().value()));
      }
      return core.GetModel(spec.name(), std::to_string(spec.version().value()));
    default:
      return core.GetModel(spec.name(), "");
  }
}

void FillSpec(const LoadedModel& model, bool with_signature, pb::ModelSpec& out) {
  out.set_name(model.name);
  out.mutable_version()->set_value(model.version);
  if (with_signature) out.set_signature_name(std::string(kDefaultSignature));
}

FeatureValue FromProto(const tensorflow::Feature& feature) {
  FeatureValue v;
  switch (feature.kind_case()) {
    case tensorflow::Feature::kBytesList:
      v.kind = FeatureValue::Kind::kBytes;
      v.bytes.assign(feature.bytes_list().value().begin(), feature.bytes_list().value().end());
      break;
    case tensorflow::Feature::kInt64List:
      v.kind = FeatureValue::Kind::kInt64;
      v.ints.assign(feature.int64_list().value().begin(), feature.int64_list().value().end());
      break;
    default:
      v.kind = FeatureValue::Kind::kFloat;
      v.floats.assign(feature.float_list().value().begin(), feature.float_list().value().end());
  }
  return v;
}

Features FromProto(const tensorflow::Example& example) {
  Features features;
  for (const auto& [key, feature] : example.features().feature()) {
    features.emplace_back(key, FromProto(feature));
  }
  // A protobuf map has no order; columns follow the keys, numeric-aware.
  SortFeaturesNaturally(features);
  return features;
}

ExampleSet FromProto(const pb::Input& input) {
  ExampleSet set;
  const auto& examples = input.has_example_list_with_context()
                             ? input.example_list_with_context().examples()
                             : input.example_list().examples();
  for (const auto& e : examples) set.examples.push_back(FromProto(e));
  if (input.has_example_list_with_context()) {
    set.context = FromProto(input.example_list_with_context().context());
  }
  return set;
}

// The model and version (or label) a ModelSpec names, for the pipeline.
std::string SpecVersion(const pb::ModelSpec& spec) {
  if (spec.version_choice_case() == pb::ModelSpec::kVersionLabel) return spec.version_label();
  if (spec.version_choice_case() == pb::ModelSpec::kVersion) {
    return std::to_string(spec.version().value());
  }
  return {};
}

class PredictionService final : public pb::PredictionService::CallbackService {
 public:
  PredictionService(ServerCore* core, TensorEncoding encoding, const grpcfe::PipelineGate* gate)
      : core_(core), encoding_(encoding), gate_(gate) {}

  ServerUnaryReactor* Predict(CallbackServerContext* context, const pb::PredictRequest* request,
                              pb::PredictResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, request->model_spec().name(),
                                                     SpecVersion(request->model_spec()));
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    auto model = Resolve(*core_, request->model_spec());
    if (!model.ok()) return Answer(context, model.status());
    InferRequest infer;
    for (const auto& [name, proto] : request->inputs()) {
      // The request message lives until Finish, which comes after the
      // inference, so tensor_content can be borrowed without an owner.
      auto tensor = DecodeTensorProto(name, proto, nullptr);
      if (!tensor.ok()) return Answer(context, tensor.status());
      infer.inputs.push_back(std::move(tensor).value());
    }
    infer.requested_outputs.assign(request->output_filter().begin(),
                                   request->output_filter().end());
    FillSpec(**model, true, *response->mutable_model_spec());
    auto* reactor = new grpcfe::InferReactor();
    grpcfe::BindCallToRequest(*context, *reactor, infer);
    infer.protocol = "tfserving_grpc";
    core_->Infer(*model, std::move(infer),
                 [reactor, response, encoding = encoding_](StatusOr<InferResponse> result) {
                   if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
                   for (const Tensor& t : result->outputs) {
                     EncodeTensorProto(t, (*response->mutable_outputs())[t.name()], encoding);
                   }
                   reactor->Finish(grpc::Status::OK);
                 });
    return reactor;
  }

  ServerUnaryReactor* GetModelMetadata(CallbackServerContext* context,
                                       const pb::GetModelMetadataRequest* request,
                                       pb::GetModelMetadataResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, request->model_spec().name(),
                                                     SpecVersion(request->model_spec()));
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    auto model = Resolve(*core_, request->model_spec());
    if (!model.ok()) return Answer(context, model.status());
    if (request->metadata_field_size() == 0) {
      return Answer(context, InvalidArgument("GetModelMetadataRequest must specify at least one "
                                             "metadata_field"));
    }
    for (const std::string& field : request->metadata_field()) {
      if (field != "signature_def") {
        return Answer(context, InvalidArgument("Metadata field " + field + " is not supported"));
      }
    }
    FillSpec(**model, false, *response->mutable_model_spec());
    // PackFrom names it type.googleapis.com/tensorflow.serving.SignatureDefMap.
    (*response->mutable_metadata())["signature_def"].PackFrom(
        SignatureDefMapFor((*model)->signature));
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* Classify(CallbackServerContext* context,
                               const pb::ClassificationRequest* request,
                               pb::ClassificationResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, request->model_spec().name(),
                                                     SpecVersion(request->model_spec()));
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    auto model = Resolve(*core_, request->model_spec());
    if (!model.ok()) return Answer(context, model.status());
    const ExampleSet set = FromProto(request->input());
    auto infer = ExamplesToRequest(set, (*model)->signature);
    if (!infer.ok()) return Answer(context, infer.status());
    auto pick = PickClassifyOutput((*model)->signature);
    if (!pick.ok()) return Answer(context, pick.status());
    infer->requested_outputs = {pick->name};
    FillSpec(**model, true, *response->mutable_model_spec());
    auto* reactor = new grpcfe::InferReactor();
    grpcfe::BindCallToRequest(*context, *reactor, *infer);
    infer->protocol = "tfserving_grpc";
    core_->Infer(*model, std::move(*infer),
                 [reactor, response, pick = *pick,
                  examples = set.examples.size()](StatusOr<InferResponse> r) {
                   if (!r.ok()) return reactor->Finish(ToGrpcStatus(r.status()));
                   auto results = ClassificationsFrom(*r, pick, examples);
                   if (!results.ok()) return reactor->Finish(ToGrpcStatus(results.status()));
                   for (const Classes& classes : *results) {
                     auto* out = response->mutable_result()->add_classifications();
                     for (const auto& [label, score] : classes) {
                       auto* c = out->add_classes();
                       c->set_label(label);
                       c->set_score(score);
                     }
                   }
                   reactor->Finish(grpc::Status::OK);
                 });
    return reactor;
  }

  ServerUnaryReactor* Regress(CallbackServerContext* context, const pb::RegressionRequest* request,
                              pb::RegressionResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, request->model_spec().name(),
                                                     SpecVersion(request->model_spec()));
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    auto model = Resolve(*core_, request->model_spec());
    if (!model.ok()) return Answer(context, model.status());
    const ExampleSet set = FromProto(request->input());
    auto infer = ExamplesToRequest(set, (*model)->signature);
    if (!infer.ok()) return Answer(context, infer.status());
    auto pick = PickRegressOutput((*model)->signature);
    if (!pick.ok()) return Answer(context, pick.status());
    infer->requested_outputs = {*pick};
    FillSpec(**model, true, *response->mutable_model_spec());
    auto* reactor = new grpcfe::InferReactor();
    grpcfe::BindCallToRequest(*context, *reactor, *infer);
    infer->protocol = "tfserving_grpc";
    core_->Infer(*model, std::move(*infer),
                 [reactor, response, examples = set.examples.size()](StatusOr<InferResponse> r) {
                   if (!r.ok()) return reactor->Finish(ToGrpcStatus(r.status()));
                   auto values = RegressionsFrom(*r, examples);
                   if (!values.ok()) return reactor->Finish(ToGrpcStatus(values.status()));
                   for (float v : *values)
                     response->mutable_result()->add_regressions()->set_value(v);
                   reactor->Finish(grpc::Status::OK);
                 });
    return reactor;
  }

  ServerUnaryReactor* MultiInference(CallbackServerContext* context,
                                     const pb::MultiInferenceRequest*,
                                     pb::MultiInferenceResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    return Answer(context, grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                        "MultiInference is not served; call Classify or Regress"));
  }

 private:
  ServerCore* core_;
  TensorEncoding encoding_;
  const grpcfe::PipelineGate* gate_;
};

class ModelService final : public pb::ModelService::CallbackService {
 public:
  ModelService(ServerCore* core, const grpcfe::PipelineGate* gate) : core_(core), gate_(gate) {}

  ServerUnaryReactor* GetModelStatus(CallbackServerContext* context,
                                     const pb::GetModelStatusRequest* request,
                                     pb::GetModelStatusResponse* response) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, request->model_spec().name(),
                                                     SpecVersion(request->model_spec()));
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    const pb::ModelSpec& spec = request->model_spec();
    std::optional<int64_t> version;
    switch (spec.version_choice_case()) {
      case pb::ModelSpec::kVersionLabel: {
        auto labelled = ResolveLabel(*core_, spec.name(), spec.version_label());
        if (!labelled.ok()) return Answer(context, labelled.status());
        version = (*labelled)->version;
        break;
      }
      case pb::ModelSpec::kVersion:
        version = spec.version().value();
        break;
      default:
        break;
    }
    auto status = ModelStatusFor(*core_, spec.name(), version);
    if (!status.ok()) return Answer(context, status.status());
    *response = std::move(status).value();
    return Answer(context, grpc::Status::OK);
  }

  ServerUnaryReactor* HandleReloadConfigRequest(CallbackServerContext* context,
                                                const pb::ReloadConfigRequest*,
                                                pb::ReloadConfigResponse*) override {
    const grpcfe::Admission admitted = grpcfe::Admit(gate_, context, "");
    if (!admitted.ok()) {
      return Answer(context, admitted.status());
    }
    return Answer(context, grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                        "inferd serves its model repository; it does not take a "
                                        "ModelServerConfig"));
  }

 private:
  ServerCore* core_;
  const grpcfe::PipelineGate* gate_;
};

}  // namespace

std::unique_ptr<grpc::Service> MakeTfPredictionService(ServerCore* core, TensorEncoding encoding,
                                                       const grpcfe::PipelineGate* gate) {
  return std::make_unique<PredictionService>(core, encoding, gate);
}

std::unique_ptr<grpc::Service> MakeTfModelService(ServerCore* core,
                                                  const grpcfe::PipelineGate* gate) {
  return std::make_unique<ModelService>(core, gate);
}

void AddTfServingRpcs(grpcfe::RpcTable& rpcs) {
  using pipeline::RouteKind;
  const std::pair<const char*, RouteKind> kinds[] = {
      {"/tensorflow.serving.PredictionService/Classify", RouteKind::kInfer},
      {"/tensorflow.serving.PredictionService/Regress", RouteKind::kInfer},
      {"/tensorflow.serving.PredictionService/Predict", RouteKind::kInfer},
      {"/tensorflow.serving.PredictionService/MultiInference", RouteKind::kInfer},
      {"/tensorflow.serving.PredictionService/GetModelMetadata", RouteKind::kRead},
      {"/tensorflow.serving.ModelService/GetModelStatus", RouteKind::kRead},
      {"/tensorflow.serving.ModelService/HandleReloadConfigRequest", RouteKind::kAdmin},
  };
  for (const auto& [name, kind] : kinds)
    rpcs.emplace(name, grpcfe::RpcInfo{kind, "tfserving-grpc"});
}

}  // namespace inferd::tfserving
