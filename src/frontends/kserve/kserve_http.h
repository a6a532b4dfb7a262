// KServe v2 / Open Inference Protocol over HTTP, as Triton serves it: health,
// server and model metadata, model config, readiness, repository index and
// infer. Translates between the wire and the core; decides nothing itself.
#pragma once

#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::kserve {

// Registers the /v2 routes on `router`; `core` must outlive the router.
void AddKServeHttpRoutes(ServerCore* core, http::Router& router);

}  // namespace inferd::kserve
