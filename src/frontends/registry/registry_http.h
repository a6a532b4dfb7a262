// The model registry over HTTP: MLflow's model registry REST API under
// /v1/registry/... and MLflow's own /api/2.0/mlflow/... (so MLflow clients
// can point at inferd), plus uploads at /v1/registry/models/{m}/versions.
// Translation only: the rules live in core/registry/model_registry.
#pragma once

#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::registry {

void AddRegistryRoutes(ServerCore* core, http::Router& router);

// True for the upload route's raw request target (POST
// /v1/registry/models/{m}/versions, any query), which may carry a large body.
bool IsUploadTarget(std::string_view target);

}  // namespace inferd::registry
