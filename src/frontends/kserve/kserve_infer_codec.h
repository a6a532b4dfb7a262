// KServe v2 infer bodies over HTTP: the JSON request (with the binary tensor
// extension) into a core InferRequest, and an InferResponse back into JSON or
// JSON + binary blobs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/infer_request.h"
#include "frontends/http/http_types.h"

namespace inferd::kserve {

// How the client asked for each output to be encoded.
struct OutputEncoding {
  bool binary_by_default = false;               // request parameter binary_data_output
  std::vector<std::pair<std::string, bool>> binary;  // per requested output
  bool IsBinary(std::string_view name) const;
};

struct DecodedInfer {
  InferRequest request;
  OutputEncoding encoding;
};

// `body` is the whole HTTP body; `header_length` is the value of the
// Inference-Header-Content-Length header, or -1 when absent. Binary inputs
// borrow their bytes from `body`.
StatusOr<DecodedInfer> DecodeInferRequest(std::shared_ptr<const std::string> body,
                                          int64_t header_length);

http::HttpResponse EncodeInferResponse(const InferResponse& response,
                                       const OutputEncoding& encoding);

}  // namespace inferd::kserve
