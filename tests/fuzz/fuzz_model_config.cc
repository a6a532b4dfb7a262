// libFuzzer target: config.pbtxt text (unknown-field filter, strict parse),
// auto-complete against a fixed model signature, and JSON rendering.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed =
      inferd::ParseModelConfigText(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) return 0;
  inferd::ModelSignature sig;
  sig.inputs.push_back({"float_input", inferd::DataType::kFp32, {-1, 30}, {}, ""});
  sig.outputs.push_back({"output_probability", inferd::DataType::kFp32, {-1, 2}, {"0", "1"}, ""});
  if (inferd::CompleteModelConfig(sig, "m", {}, *parsed).ok()) {
    inferd::ModelConfigToJson(parsed->config);
  }
  return 0;
}
