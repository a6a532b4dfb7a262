// libFuzzer target: TorchServe /predictions bodies (JSON, or multipart
// form-data with a "data" field) into tensors, and the answer encoder.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontends/torchserve/torchserve_codec.h"
#include "fuzz_tabular_signatures.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the signature and the content type.
  const inferd::ModelSignature sig = inferd::fuzz::PickSignature(data[0]);
  const std::string_view type =
      (data[0] & 0x80) ? "multipart/form-data; boundary=b" : "application/json";
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto decoded = inferd::torchserve::DecodePredictionBody(type, body, sig);
  if (!decoded.ok()) return 0;
  inferd::ModelSignature echo;
  for (const auto& t : decoded->inputs) {
    inferd::TensorSpec spec;
    spec.name = t.name();
    spec.dtype = t.dtype();
    spec.shape = t.shape();
    echo.outputs.push_back(spec);
  }
  (void)inferd::torchserve::EncodePredictionResponse(inferd::fuzz::EchoResponse(decoded->inputs),
                                                     echo, decoded->single_row);
  return 0;
}
