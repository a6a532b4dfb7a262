// Registry records and errors as MLflow's REST API shapes them
// (registered_model, model_version, {"error_code", "message"}), with
// inferd's additions: a version's checksum, metrics, and how it serves.
#pragma once

#include <vector>

#include "core/lifecycle/model_handle.h"
#include "core/registry/registry_store.h"
#include "core/status.h"
#include "frontends/http/http_types.h"
#include "frontends/http/json_tensor_codec.h"

namespace inferd::registry {

void WriteModelVersion(http::JsonWriter& w, const ModelVersionRecord& version,
                       const std::vector<ModelStatus>& serving);
void WriteRegisteredModel(http::JsonWriter& w, const RegisteredModelRecord& model,
                          const std::vector<ModelStatus>& serving);

// {"error_code": ..., "message": ...} with MLflow's code and HTTP status.
http::HttpResponse RegistryError(const Status& status);

}  // namespace inferd::registry
