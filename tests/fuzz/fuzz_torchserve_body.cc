// libFuzzer target: TorchServe /predictions bodies (JSON, multipart
// form-data, raw bodies for a BYTES-input model) into tensors, and the
// answer encoder.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontends/torchserve/torchserve_codec.h"
#include "fuzz_tabular_signatures.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the signature and the content type.
  static constexpr std::string_view kTypes[] = {"application/json",
                                                "multipart/form-data; boundary=b",
                                                "text/plain",
                                                "",
                                                "image/png",
                                                "application/octet-stream",
                                                "Text/Plain; charset=utf-8",
                                                "multipart/form-data; boundary=\"b\""};
  inferd::ModelSignature sig = inferd::fuzz::PickSignature(data[0]);
  if (data[0] & 0x08) {  // one BYTES input, as raw bodies need
    using inferd::http::testing::Spec;
    sig.inputs = {Spec("raw", inferd::DataType::kBytes,
                       (data[0] & 0x04) ? inferd::Shape{-1, 1} : inferd::Shape{-1})};
    sig.outputs = {Spec("y", inferd::DataType::kInt64, {-1})};
  }
  const std::string_view type = kTypes[data[0] >> 5];
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
