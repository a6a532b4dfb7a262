// TorchServe's inference API on the main HTTP port: GET /ping and
// POST /predictions/{model}[/{version}]. Translates between the wire and the
// core; decides nothing itself. The body and answer shapes are in
// torchserve_codec.h.
//
// Errors are TorchServe's {"code": int, "type": str, "message": str}.
#pragma once

#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::torchserve {

// Registers the routes on `router`; `core` must outlive the router.
void AddTorchServeRoutes(ServerCore* core, http::Router& router);

// TorchServe's error answer for a core error (status code, type, message).
http::HttpResponse ErrorResponse(const Status& status);
// How TorchServe's routes answer refusals (shared by inference and management).
extern const http::ProtocolErrors kTorchServeErrors;

}  // namespace inferd::torchserve
