// MLflow's scoring server (`mlflow models serve`) on the main HTTP port:
// POST /invocations, GET /health, GET /version (GET /ping is TorchServe's
// and answers MLflow's clients too). Translates between the wire and the
// core; decides nothing itself. Bodies and answers are in mlflow_codec.h.
//
// /invocations names no model: the X-Model header picks one (and
// X-Model-Version a version), else the server's --default-model, else the
// repository's only model.
// Errors are MLflow's {"error_code": "BAD_REQUEST", "message": ...}.
#pragma once

#include <string>

#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::mlflow {

// Registers the routes on `router`; `core` must outlive the router.
void AddMlflowRoutes(ServerCore* core, std::string default_model, http::Router& router);

// MLflow's error answer for a core error.
http::HttpResponse ErrorResponse(const Status& status);
// {"error_code": ..., "message": ...} with this HTTP status (the registry
// maps core errors to MLflow's registry codes itself).
http::HttpResponse ErrorAnswer(unsigned status, std::string_view error_code,
                               std::string_view message);

}  // namespace inferd::mlflow
