// libFuzzer target: the simple /predict body (schema check, then tensors)
// and the answer encoder over what decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontends/simple/predict_codec.h"
#include "fuzz_tabular_signatures.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const inferd::ModelSignature sig = inferd::fuzz::PickSignature(data[0]);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  inferd::simple::SchemaError error;
  auto body = inferd::simple::ParsePredictBody(text, error);
  if (!body) {
    (void)inferd::simple::EncodeSchemaError(error);
    return 0;
  }
  auto tensors = inferd::simple::FeaturesToTensors(*body, sig);
  if (!tensors.ok()) return 0;
  inferd::ModelSignature echo;
  for (const auto& t : *tensors) {
    inferd::TensorSpec spec;
    spec.name = t.name();
    spec.dtype = t.dtype();
    spec.shape = t.shape();
    echo.outputs.push_back(spec);
  }
  (void)inferd::simple::EncodePredictResponse(inferd::fuzz::EchoResponse(*tensors), echo,
                                              body->single_row);
  return 0;
}
