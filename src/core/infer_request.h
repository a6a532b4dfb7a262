// Protocol-free inference request and response.
//
// Every frontend decodes its wire format into an InferRequest and encodes the
// InferResponse it gets back; nothing here knows about HTTP, JSON or gRPC.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace inferd {

struct InferRequest {
  std::string model_name;
  // Empty: the model's default version. Otherwise a positive integer.
  std::string model_version;
  std::string id;
  std::vector<Tensor> inputs;
  // Names of the outputs to return; empty means all of them.
  std::vector<std::string> requested_outputs;
};

struct InferResponse {
  std::string model_name;
  int64_t model_version = 0;
  std::string id;
  std::vector<Tensor> outputs;
};

// Called exactly once, on a core thread, with the response or an error.
using InferCallback = std::function<void(StatusOr<InferResponse>)>;

}  // namespace inferd
