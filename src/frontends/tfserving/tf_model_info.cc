#include "frontends/tfserving/tf_model_info.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>

#include "core/lifecycle/repository_scanner.h"
#include "frontends/tfserving/tf_types.h"

namespace inferd::tfserving {
namespace {

namespace pb = tensorflow::serving;

void FillVersion(const VersionStatus& v, pb::ModelVersionStatus& out) {
  out.set_version(v.version);
  auto* status = out.mutable_status();
  status->set_error_code(tensorflow::error::OK);
  switch (v.state) {
    case ModelState::kLoading:
      out.set_state(pb::ModelVersionStatus::LOADING);
      break;
    case ModelState::kReady:
      out.set_state(pb::ModelVersionStatus::AVAILABLE);
      break;
    case ModelState::kUnloading:
      out.set_state(pb::ModelVersionStatus::UNLOADING);
      break;
    case ModelState::kUnavailable:
      // TF Serving leaves a version that failed to load in END, with the error.
      out.set_state(pb::ModelVersionStatus::END);
      status->set_error_code(tensorflow::error::UNKNOWN);
      status->set_error_message(v.reason);
      break;
  }
}

void FillTensorInfo(const TensorSpec& spec, tensorflow::TensorInfo& out) {
  out.set_name(spec.name);
  out.set_dtype(static_cast<tensorflow::DataType>(TfDataTypeNumber(spec.dtype)));
  auto* shape = out.mutable_tensor_shape();
  for (int64_t d : spec.shape) shape->add_dim()->set_size(d);
}

}  // namespace

StatusOr<pb::GetModelStatusResponse> ModelStatusFor(const ServerCore& core, std::string_view model,
                                                    std::optional<int64_t> version) {
  for (const ModelStatus& status : core.ModelStatuses()) {
    if (status.name != model) continue;
    if (status.versions.empty()) {
      return Unavailable("model '" + status.name + "' has no versions: " + status.reason);
    }
    pb::GetModelStatusResponse response;
    for (auto it = status.versions.rbegin(); it != status.versions.rend(); ++it) {
      if (version && it->version != *version) continue;
      FillVersion(*it, *response.add_model_version_status());
    }
    if (response.model_version_status_size() == 0) {
      return NotFound("model '" + status.name + "' has no version " + std::to_string(*version));
    }
    return response;
  }
  return ModelManager::UnknownModel(model);
}

pb::SignatureDefMap SignatureDefMapFor(const ModelSignature& signature) {
  pb::SignatureDefMap map;
  tensorflow::SignatureDef& def = (*map.mutable_signature_def())["serving_default"];
  for (const TensorSpec& spec : signature.inputs)
    FillTensorInfo(spec, (*def.mutable_inputs())[spec.name]);
  for (const TensorSpec& spec : signature.outputs) {
    FillTensorInfo(spec, (*def.mutable_outputs())[spec.name]);
  }
  def.set_method_name(std::string(kPredictMethodName));
  return map;
}

StatusOr<ModelHandle> ResolveLabel(const ServerCore& core, std::string_view model,
                                   std::string_view label) {
  int64_t number = 0;
  // The core reads a number as a version; over TF Serving it is never a label.
  if (label.empty() || ParseVersion(label, number)) {
    return NotFound("model '" + std::string(model) + "' has no version labelled '" +
                    std::string(label) + "'");
  }
  return core.GetModel(model, label);
}

StatusOr<int64_t> ParseTfVersion(std::string_view model, std::string_view version) {
  int64_t number = 0;
  const auto [end, error] =
      std::from_chars(version.data(), version.data() + version.size(), number);
  if (error != std::errc() || end != version.data() + version.size() || number <= 0) {
    return NotFound("model '" + std::string(model) + "' has no version '" + std::string(version) +
                    "' (versions are positive integers)");
  }
  return number;
}

std::string TfJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

}  // namespace inferd::tfserving
