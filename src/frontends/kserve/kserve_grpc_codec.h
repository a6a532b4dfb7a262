// KServe v2 gRPC messages <-> core requests and responses. Inputs come as raw
// bytes (raw_input_contents, borrowed without copying) or typed contents;
// outputs always go back as raw_output_contents, one per output, in order,
// which is what tritonclient.grpc reads.
#pragma once

#include <memory>

#include "core/infer_request.h"
#include "core/shared_memory.h"
#include "frontends/kserve/shared_memory_io.h"
#include "grpc_service.pb.h"

namespace inferd::kserve {

// Raw inputs borrow from `message`; `owner` must keep it alive (it may be
// empty when the caller guarantees that itself). Inputs that name a
// shared-memory region borrow from it (raw_input_contents then lists only
// the other inputs, in order, as tritonclient sends them); outputs to write
// into shared memory are added to `shm_outputs`. Without `regions`, any
// shared-memory parameter is refused.
StatusOr<InferRequest> DecodeGrpcInferRequest(const inference::ModelInferRequest& message,
                                              std::shared_ptr<const void> owner,
                                              const SharedMemoryRegions* regions = nullptr,
                                              std::vector<ShmOutput>* shm_outputs = nullptr);

// Outputs in `shm_outputs` (already written into their regions) carry their
// region in parameters and an empty raw_output_contents entry, which keeps
// the others at their positions.
void EncodeGrpcInferResponse(const InferResponse& response, inference::ModelInferResponse& out,
                             const std::vector<ShmOutput>& shm_outputs = {});

}  // namespace inferd::kserve
