// What TF Serving's REST and gRPC APIs say about a model: the status of its
// versions and its SignatureDef, built once as TF Serving's own messages so
// both protocols answer alike (REST prints them as TF Serving does).
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/server_core.h"
#include "tf_serving_apis.pb.h"

namespace inferd::tfserving {

// TF Serving's method name for a predict signature.
inline constexpr std::string_view kPredictMethodName = "tensorflow/serving/predict";

// The versions of `model` (only `version` when given), newest first, as
// ModelVersionStatus: ready ones AVAILABLE; ones that failed END with their
// reason. NOT_FOUND for an unknown model or version; UNAVAILABLE, with the
// reason, for a model that failed before it had versions.
StatusOr<tensorflow::serving::GetModelStatusResponse> ModelStatusFor(
    const ServerCore& core, std::string_view model, std::optional<int64_t> version);

// {"serving_default": SignatureDef} for the model's inputs and outputs.
tensorflow::serving::SignatureDefMap SignatureDefMapFor(const ModelSignature& signature);

// The version a label ("stable", "canary") points to, pinned. A number is
// never a label.
StatusOr<ModelHandle> ResolveLabel(const ServerCore& core, std::string_view model,
                                   std::string_view label);

// A version from a URL or message: a positive integer; NOT_FOUND otherwise.
StatusOr<int64_t> ParseTfVersion(std::string_view model, std::string_view version);

// JSON as TF Serving's REST API prints its messages: field names as in the
// .proto, default values included, int64 as strings, enums by name.
std::string TfJson(const google::protobuf::Message& message);

}  // namespace inferd::tfserving
