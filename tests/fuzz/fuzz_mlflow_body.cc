// libFuzzer target: MLflow /invocations bodies (JSON and CSV) into tensors,
// and the answer encoder over what decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontends/mlflow/mlflow_codec.h"
#include "fuzz_tabular_signatures.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the signature and the content type.
  const inferd::ModelSignature sig = inferd::fuzz::PickSignature(data[0]);
  const auto kind =
      (data[0] & 0x80) ? inferd::mlflow::ContentKind::kCsv : inferd::mlflow::ContentKind::kJson;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto tensors = inferd::mlflow::DecodeInvocation(kind, body, sig);
  if (!tensors.ok()) return 0;
  inferd::ModelSignature echo;
  for (const auto& t : *tensors) {
    inferd::TensorSpec spec;
    spec.name = t.name();
    spec.dtype = t.dtype();
    spec.shape = t.shape();
    echo.outputs.push_back(spec);
  }
  (void)inferd::mlflow::EncodeInvocationResponse(inferd::fuzz::EchoResponse(*tensors), echo);
  return 0;
}
