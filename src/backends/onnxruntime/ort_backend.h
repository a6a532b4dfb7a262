// The ONNX Runtime backend: one Ort::Session per model version, shared by all
// requests (Session::Run is thread-safe). Turns scikit-learn ZipMap outputs
// (a sequence of maps) into dense FP32 [rows, classes] tensors.
#pragma once

#include <memory>

#include "core/backend.h"

namespace inferd {

std::unique_ptr<BackendFactory> MakeOrtBackendFactory();

// The ONNX Runtime version linked in, e.g. "1.23.2".
std::string OrtVersion();

}  // namespace inferd
