// Serves the OpenAPI document (GET /openapi.json) and Swagger UI rendering it
// (GET /docs, assets under /docs/{file} from `assets_dir`).
#pragma once

#include <filesystem>

#include "frontends/http/router.h"

namespace inferd::openapi {

void AddOpenApiRoutes(http::Router& router, std::filesystem::path assets_dir);

// Where the build puts Swagger UI's assets: share/inferd/swagger-ui beside the
// running executable.
std::filesystem::path DefaultAssetsDir();

}  // namespace inferd::openapi
