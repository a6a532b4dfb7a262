// The routes admin API (inferd's own; A/B tests, shadows and canaries):
//   GET    /v1/routes                       every route, with its traffic
//   GET    /v1/routes/{route}               one route, its traffic, shadow and rollout
//   PUT    /v1/routes/{route}               creates or replaces the route at once, once
//                                           every variant is ready and takes the same
//                                           inputs (frontends/routes/route_json.h)
//   DELETE /v1/routes/{route}
//   PUT    /v1/routes/{route}/rollout       starts a canary rollout
//   GET    /v1/routes/{route}/rollout
//   POST   /v1/routes/{route}/rollout/pause | resume | abort
// All are admin calls. Translates JSON <-> core/routing; decides nothing.
#pragma once

#include "core/routing/rollout_controller.h"
#include "core/routing/route_control.h"
#include "core/routing/route_stats.h"
#include "core/routing/shadow_mirror.h"
#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::routes {

// What main composes for routes; all outlive the router.
struct RouteServices {
  RouteControl* control = nullptr;
  const RouteStats* stats = nullptr;
  const ShadowMirror* shadows = nullptr;
  RolloutController* rollouts = nullptr;
};

// `routes` null: every call answers 404 "routes are off".
void AddRouteRoutes(ServerCore* core, const RouteServices* routes, http::Router& router);

}  // namespace inferd::routes
