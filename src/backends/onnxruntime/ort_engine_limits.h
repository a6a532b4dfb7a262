// The newest ONNX IR version and ai.onnx operator set the linked ONNX Runtime
// reads, measured from the engine itself (it exposes neither), and the check
// that refuses a model file beyond them with both versions and the fix.
//
// OrtEngineLimits() measures once, on first use, and is safe to call from any
// thread.
#pragma once

#include <cstdint>
#include <filesystem>

#include "backends/onnxruntime/onnx_graph_reader.h"
#include "core/status.h"

namespace inferd::ort {

struct EngineLimits {
  int64_t max_ir_version = 0;
  int64_t max_opset = 0;  // of the default domain, ai.onnx
};

const EngineLimits& OrtEngineLimits();

// OK when the engine reads the file's IR version and ai.onnx opset;
// otherwise an Unsupported status that names the file's versions, the
// engine's, and how to re-save the model.
Status CheckEngineCanRead(const OnnxFileFacts& facts, const std::filesystem::path& file);

}  // namespace inferd::ort
