// libFuzzer target: the streaming ONNX protobuf reader (IR version, opsets,
// classifier labels) and the label tracing over what it read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "backends/onnxruntime/onnx_graph_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto facts = inferd::ort::ReadOnnxFactsFromBytes(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!facts.ok()) return 0;
  (void)facts->ZipMapLabels();
  for (const auto& node : facts->nodes) {
    for (const auto& output : node.outputs) (void)facts->ScoreLabels(output, 3);
  }
  return 0;
}
