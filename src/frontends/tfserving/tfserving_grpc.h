// TF Serving's gRPC API: tensorflow.serving.PredictionService (Predict,
// Classify, Regress, GetModelMetadata; MultiInference is UNIMPLEMENTED) and
// tensorflow.serving.ModelService (GetModelStatus; HandleReloadConfigRequest
// is UNIMPLEMENTED), on the same gRPC port as KServe v2. Translates between
// TF Serving's messages and the core; decides nothing.
//
// ModelSpec picks the version by `version`, or by `version_label`, which is
// NOT_FOUND until labels exist; `signature_name` may be empty or
// "serving_default". Classify and Regress map examples as tf_examples.h says.
#pragma once

#include <memory>

#include "core/server_core.h"
#include "frontends/grpc/pipeline_gate.h"
#include "frontends/tfserving/tensor_proto_codec.h"
#include "tf_serving_apis.grpc.pb.h"

namespace inferd::tfserving {

// The services; register them on a grpcfe::GrpcServer. `core` must outlive them.
// Predict answers in `encoding` (TF Serving's default: the typed fields).
// `gate` (may be null) admits each call; it must outlive the services.
std::unique_ptr<grpc::Service> MakeTfPredictionService(ServerCore* core, TensorEncoding encoding,
                                                       const grpcfe::PipelineGate* gate);
std::unique_ptr<grpc::Service> MakeTfModelService(ServerCore* core,
                                                  const grpcfe::PipelineGate* gate);
// The services' rpcs and what each does, for the pipeline.
void AddTfServingRpcs(grpcfe::RpcTable& rpcs);

}  // namespace inferd::tfserving
