// Reads the few facts inferd needs from an ONNX file that ONNX Runtime's API
// does not expose: the class labels of scikit-learn ZipMap nodes, keyed by the
// node's output name. Streams the protobuf wire format and skips everything
// else (weights included) without reading it into memory.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace inferd::ort {

// Output name of each ZipMap node -> its class labels, as strings.
StatusOr<std::map<std::string, std::vector<std::string>>> ReadZipMapLabels(
    const std::filesystem::path& model_file);

// The same, from bytes already in memory (for tests and fuzzing).
StatusOr<std::map<std::string, std::vector<std::string>>> ReadZipMapLabelsFromBytes(
    std::string_view bytes);

}  // namespace inferd::ort
