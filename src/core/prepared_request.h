// A validated request, its inputs in the backend's order: what the scheduler
// queues and batches. Produced by PrepareRequest (core/request_validator.h).
#pragma once

#include <cstddef>
#include <vector>

#include "core/tensor.h"

namespace inferd {

struct PreparedRequest {
  std::vector<Tensor> inputs;          // backend signature order
  std::vector<size_t> outputs;         // backend output indexes to compute
  std::vector<size_t> served_outputs;  // matching indexes into LoadedModel::signature.outputs
};

}  // namespace inferd
