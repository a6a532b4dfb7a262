// The routes admin API (inferd's own; A/B tests over model variants):
//   GET    /v1/routes            every route
//   GET    /v1/routes/{route}
//   PUT    /v1/routes/{route}    {"key": "header:X-User-Id", "salt": "",
//                                 "variants": [{"name": "control", "model": "m",
//                                 "version": "1", "weight": 90}, ...]}
//                                 creates or replaces the route at once, once
//                                 every variant is ready and takes the same inputs
//   DELETE /v1/routes/{route}
// All are admin calls. Translates JSON <-> core/routing; decides nothing.
#pragma once

#include "core/routing/route_table.h"
#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::routes {

// `routes` (null: the routes answer 404 "routes are off") and `core` must
// outlive the router.
void AddRouteRoutes(ServerCore* core, RouteTable* routes, http::Router& router);

}  // namespace inferd::routes
