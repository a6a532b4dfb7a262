// The seeds' simple JSON API on the main HTTP port: POST /predict. Translates
// between the wire and the core; decides nothing itself. Bodies and answers
// are in predict_codec.h.
//
// The model: the X-Model header, else the body's "model", else the server's
// --default-model, else the repository's only model. The version: the
// X-Model-Version header ("2" or "v2"), else the default; the answer carries
// the version that served in its X-Model-Version header.
// Errors are FastAPI's {"detail": ...}: 422 (a list of FastAPI error objects)
// for a body that does not match the schema, and {"detail": message} with 400
// for input the model rejects, 404 for an unknown model or version, 503 for
// one that is not available, 500 for a failure inside the engine.
#pragma once

#include <string>

#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::simple {

// Registers the routes on `router`; `core` must outlive the router.
void AddSimpleRoutes(ServerCore* core, std::string default_model, http::Router& router);

// The {"detail": message} answer for a core error.
http::HttpResponse ErrorResponse(const Status& status);

}  // namespace inferd::simple
