// libFuzzer target: the streaming ONNX protobuf reader that finds ZipMap labels.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "backends/onnxruntime/onnx_graph_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)inferd::ort::ReadZipMapLabelsFromBytes(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
