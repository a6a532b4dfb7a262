// Checks an InferRequest against the model it resolved to and puts its inputs
// in the order the backend wants. The single place where names, datatypes,
// shapes, batch sizes and byte sizes are checked, for every protocol.
#pragma once

#include <vector>

#include "core/infer_request.h"
#include "core/lifecycle/model_handle.h"
#include "core/prepared_request.h"

namespace inferd {

// Moves the request's inputs into the result; the request is left without them.
StatusOr<PreparedRequest> PrepareRequest(const LoadedModel& model, InferRequest& request);

}  // namespace inferd
