// TorchServe's management API, on the main HTTP port:
//   GET    /models[?limit=&next_page_token=]   registered models
//   POST   /models?url=&model_name=            register (load) a model
//   PUT    /models/{m}?min_worker=&max_worker= set the instance count
//   GET    /models/{m}[/{v}|/all]              describe versions
//   DELETE /models/{m}/{v}                     unload one version
//   PUT    /models/{m}/{v}/set-default         route unversioned requests to v
// Translates only: the versions, their states and the default version live in
// the core. POST, DELETE and PUT are admin routes (--admin-api). Errors are
// TorchServe's {"code", "type", "message"}.
#pragma once

#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::torchserve {

void AddTorchServeManagementRoutes(ServerCore* core, http::Router& router);

}  // namespace inferd::torchserve
