#include "backends/onnxruntime/ort_engine_limits.h"

#include <onnxruntime_cxx_api.h>

#include <string>

#include "backends/onnxruntime/ort_env.h"
#include "backends/onnxruntime/proto_wire.h"
#include "observability/log.h"

namespace inferd::ort {
namespace {

using wire::Bytes;
using wire::Number;

// A ModelProto of one Identity node over a float [1] tensor, stamped with
// the given IR version and ai.onnx opset (field numbers from onnx.proto).
std::string ProbeModel(int64_t ir_version, int64_t opset) {
  const std::string tensor_type = Number(1, 1) + Bytes(2, Bytes(1, Number(1, 1)));
  const std::string type = Bytes(1, tensor_type);
  const auto value_info = [&](const char* name) { return Bytes(1, name) + Bytes(2, type); };
  const std::string node = Bytes(1, "x") + Bytes(2, "y") + Bytes(4, "Identity");
  const std::string graph =
      Bytes(1, node) + Bytes(2, "probe") + Bytes(11, value_info("x")) + Bytes(12, value_info("y"));
  return Number(1, static_cast<uint64_t>(ir_version)) + Bytes(7, graph) +
         Bytes(8, Bytes(1, "") + Number(2, static_cast<uint64_t>(opset)));
}

bool Loads(int64_t ir_version, int64_t opset) {
  const std::string model = ProbeModel(ir_version, opset);
  try {
    Ort::SessionOptions options;
    options.SetIntraOpNumThreads(1);
    options.SetInterOpNumThreads(1);
    options.SetLogSeverityLevel(ORT_LOGGING_LEVEL_FATAL);
    Ort::Session session(Env(), model.data(), model.size(), options);
    return true;
  } catch (const Ort::Exception&) {
    return false;
  }
}

// The largest value in [lo, hi] for which loads(value) holds, given that it
// holds for lo and, once false, stays false.
template <typename Pred>
int64_t LargestThat(int64_t lo, int64_t hi, Pred loads) {
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (loads(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

EngineLimits Measure() {
  EngineLimits limits;
  // IR 7 with opset 12 is what every ONNX Runtime of the last years reads.
  limits.max_ir_version = LargestThat(7, 64, [](int64_t ir) { return Loads(ir, 12); });
  limits.max_opset =
      LargestThat(12, 256, [&](int64_t opset) { return Loads(limits.max_ir_version, opset); });
  LogInfo("ONNX Runtime limits measured", {{"onnxruntime", Ort::GetVersionString()},
                                           {"max_ir_version", limits.max_ir_version},
                                           {"max_opset", limits.max_opset}});
  return limits;
}

}  // namespace

const EngineLimits& OrtEngineLimits() {
  static const EngineLimits limits = Measure();
  return limits;
}

Status CheckEngineCanRead(const OnnxFileFacts& facts, const std::filesystem::path& file) {
  const EngineLimits& limits = OrtEngineLimits();
  auto opset = facts.opsets.find("");
  const int64_t file_opset = opset == facts.opsets.end() ? 0 : opset->second;
  const bool ir_too_new = facts.ir_version > limits.max_ir_version;
  const bool opset_too_new = file_opset > limits.max_opset;
  if (!ir_too_new && !opset_too_new) return Status::Ok();
  const std::string ir = std::to_string(limits.max_ir_version);
  const std::string op = std::to_string(limits.max_opset);
  std::string message = file.filename().string() + " has ONNX IR version " +
                        std::to_string(facts.ir_version) + " and ai.onnx opset " +
                        std::to_string(file_opset) + "; ONNX Runtime " + Ort::GetVersionString() +
                        " reads IR versions up to " + ir + " and opsets up to " + op + ".";
  if (ir_too_new) {
    message += " Re-save the model with IR version " + ir +
               ": onnx.helper.make_model(graph, ir_version=" + ir +
               ", ...), or model.ir_version = " + ir + " before onnx.save(model, path).";
  }
  if (opset_too_new) {
    message += " Convert it again with opset " + op + " or lower (target_opset=" + op +
               " in skl2onnx/onnxmltools, opset_version=" + op +
               " in torch.onnx.export), or onnx.version_converter.convert_version(model, " + op +
               ").";
  }
  return Unsupported(std::move(message));
}

}  // namespace inferd::ort
