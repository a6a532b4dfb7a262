// How `inferd serve` starts its routes: the stored routes and rollouts
// (which resume where they were), then the routes file (--routes-file),
// which seeds what the database does not have yet: a route already stored
// (changed since through the API or by a rollout) is kept, and a rollout
// starts only on a route that has none stored. And the registry moves a
// rollout's promotion makes.
//
// Thread-safety: call on the main thread, before the ports open.
#pragma once

#include "core/routing/rollout_controller.h"
#include "core/routing/route_control.h"
#include "core/server_core.h"
#include "main/serve_command.h"
#include "observability/audit_log.h"

namespace inferd {

Status LoadRoutes(const ServeOptions& o, ServerCore& core, RouteControl& control,
                  RolloutController& rollouts);

// A promotion resolves the candidate's version in the core and moves the
// alias (or stage) in the registry, on the core's admin thread. The
// controller's own changes go to `audit` when there is one.
RolloutController::Hooks RolloutHooks(ServerCore& core, std::shared_ptr<AuditLog> audit);

}  // namespace inferd
