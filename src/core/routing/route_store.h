// Where routes and their rollouts are kept between runs, so a restart (or
// another replica on the same database) serves the same split and resumes
// a rollout at its step. storage/sqlite_route_store.h implements it.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "core/routing/rollout.h"
#include "core/routing/route.h"
#include "core/status.h"

namespace inferd {

class RouteStore {
 public:
  virtual ~RouteStore() = default;
  virtual StatusOr<std::vector<Route>> LoadRoutes() = 0;
  virtual StatusOr<std::vector<Rollout>> LoadRollouts() = 0;
  // Replaces the route (and, when given, its rollout) in one transaction.
  virtual Status PutRoute(const Route& route, const Rollout* rollout) = 0;
  // Removes the route and its rollout; OK when there was none.
  virtual Status DeleteRoute(std::string_view name) = 0;
};

// Opens the store; `create`: make the database when it does not exist
// (otherwise NOT_FOUND then).
using RouteStoreOpener = std::function<StatusOr<std::unique_ptr<RouteStore>>(bool create)>;

}  // namespace inferd
