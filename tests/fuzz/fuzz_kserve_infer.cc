// libFuzzer target: the KServe v2 HTTP infer body decoder (JSON + binary
// extension) and, for whatever decodes, the response encoder.
#include <cstddef>
#include <cstdint>
#include <string>

#include "frontends/kserve/kserve_infer_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the Inference-Header-Content-Length (or none).
  const int64_t header = (int64_t{data[0]} << 8 | data[1]) - 1;
  auto body = std::make_shared<std::string>(reinterpret_cast<const char*>(data + 2), size - 2);
  auto decoded = inferd::kserve::DecodeInferRequest(body, header);
  if (!decoded.ok()) return 0;
  inferd::InferResponse response;
  response.model_name = "m";
  response.model_version = 1;
  for (auto& t : decoded->request.inputs) {
    auto count = inferd::ElementCount(t.shape());
    if (!count.ok()) continue;
    const bool consistent =
        t.dtype() == inferd::DataType::kBytes
            ? inferd::SplitBytesElements(t.bytes(), *count).ok()
            : t.byte_size() == static_cast<uint64_t>(*count) * inferd::DataTypeByteSize(t.dtype());
    if (consistent) response.outputs.push_back(t);  // the core only passes these on
  }
  inferd::kserve::EncodeInferResponse(response, decoded->options);
  decoded->options.binary_by_default = !decoded->options.binary_by_default;
  inferd::kserve::EncodeInferResponse(response, decoded->options);
  return 0;
}
