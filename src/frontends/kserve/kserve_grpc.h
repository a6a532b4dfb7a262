// KServe v2 over gRPC: inference.GRPCInferenceService with Triton's message
// numbering. Translates between the wire and the core; decides nothing.
#pragma once

#include <memory>

#include "core/server_core.h"
#include "core/shared_memory.h"
#include "frontends/grpc/pipeline_gate.h"
#include "grpc_service.grpc.pb.h"

namespace inferd::kserve {

// The service; register it on a grpcfe::GrpcServer. `core` must outlive it.
// `regions`: the shared-memory regions requests may name (Triton's extension).
// `gate` (may be null) admits each call; it must outlive the service.
std::unique_ptr<grpc::Service> MakeKServeGrpcService(ServerCore* core,
                                                     std::shared_ptr<SharedMemoryRegions> regions,
                                                     const grpcfe::PipelineGate* gate);
// The service's rpcs and what each does, for the pipeline.
void AddKServeRpcs(grpcfe::RpcTable& rpcs);

}  // namespace inferd::kserve
