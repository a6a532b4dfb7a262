// Whether a route can take traffic now: its name is no model's (a route
// never hides a model), every variant names a model (not another route) that
// the caller may see (core/model_visibility.h) and that resolves to a ready
// version, and every variant takes the same inputs (names, types, shapes)
// as the first, so any request a client sends the route fits whichever
// variant it lands on.
//
// Stateless; thread-safe.
#pragma once

#include "core/routing/route_table.h"
#include "core/server_core.h"

namespace inferd {

// OK, or the reason in words (FAILED_PRECONDITION for a variant that is not
// ready or does not match; INVALID_ARGUMENT from ValidateRoute).
Status CheckRouteCanServe(const ServerCore& core, const RouteTable& routes, const Route& route);

}  // namespace inferd
