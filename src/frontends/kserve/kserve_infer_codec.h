// KServe v2 infer bodies over HTTP: the JSON request (with the binary tensor
// extension) into a core InferRequest, and an InferResponse back into JSON or
// JSON + binary blobs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/infer_request.h"
#include "core/shared_memory.h"
#include "frontends/http/http_types.h"
#include "frontends/kserve/shared_memory_io.h"

namespace inferd::kserve {

// What the client asked of the response's shape: binary or JSON per output,
// and whether to echo an id (it is echoed when given, even when empty).
struct ResponseOptions {
  bool binary_by_default = false;                    // request parameter binary_data_output
  std::vector<std::pair<std::string, bool>> binary;  // per requested output
  bool id_given = false;
  // Outputs the client asked to have written into shared memory: the answer
  // names their region instead of carrying their data.
  std::vector<ShmOutput> shared_memory;
  bool IsBinary(std::string_view name) const;
};

struct DecodedInfer {
  InferRequest request;
  ResponseOptions options;
};

// `body` is the whole HTTP body; `header_length` is the value of the
// Inference-Header-Content-Length header, or -1 when absent. Binary inputs
// borrow their bytes from `body`; inputs in shared memory borrow from the
// region `regions` holds (nullptr: no shared memory, such inputs are refused).
StatusOr<DecodedInfer> DecodeInferRequest(std::shared_ptr<const std::string> body,
                                          int64_t header_length,
                                          const SharedMemoryRegions* regions = nullptr);

http::HttpResponse EncodeInferResponse(const InferResponse& response,
                                       const ResponseOptions& options);

}  // namespace inferd::kserve
