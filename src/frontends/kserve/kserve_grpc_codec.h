// KServe v2 gRPC messages <-> core requests and responses. Inputs come as raw
// bytes (raw_input_contents, borrowed without copying) or typed contents;
// outputs always go back as raw_output_contents, one per output, in order,
// which is what tritonclient.grpc reads.
#pragma once

#include <memory>

#include "core/infer_request.h"
#include "grpc_service.pb.h"

namespace inferd::kserve {

// Raw inputs borrow from `message`; `owner` must keep it alive (it may be
// empty when the caller guarantees that itself).
StatusOr<InferRequest> DecodeGrpcInferRequest(const inference::ModelInferRequest& message,
                                              std::shared_ptr<const void> owner);

void EncodeGrpcInferResponse(const InferResponse& response, inference::ModelInferResponse& out);

}  // namespace inferd::kserve
