#include "backends/onnxruntime/ort_env.h"

#include "observability/log.h"

namespace inferd::ort {
namespace {

void LogFromOrt(void*, OrtLoggingLevel severity, const char* category, const char*,
                const char* code_location, const char* message) {
  const std::initializer_list<LogField> fields = {
      {"source", "onnxruntime"}, {"category", category}, {"at", code_location}};
  if (severity >= ORT_LOGGING_LEVEL_ERROR) {
    LogError(message, fields);
  } else {
    LogWarn(message, fields);
  }
}

}  // namespace

// ONNX Runtime allows one environment per process.
Ort::Env& Env() {
  static Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "inferd", LogFromOrt, nullptr);
  return env;
}

}  // namespace inferd::ort
