// The process's one ONNX Runtime environment, whose log lines go to inferd's
// log. Created on first use; thread-safe.
#pragma once

#include <onnxruntime_cxx_api.h>

namespace inferd::ort {

Ort::Env& Env();

}  // namespace inferd::ort
