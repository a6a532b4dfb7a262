#include "core/routing/route_control.h"

namespace inferd {

StatusOr<RouteStore*> RouteControl::Store(bool create) {
  if (store_ || !opener_) return store_.get();
  auto opened = opener_(create);
  if (!opened.ok()) return opened.status();
  store_ = std::move(opened).value();
  return store_.get();
}

StatusOr<std::vector<Rollout>> RouteControl::Load() {
  std::lock_guard lock(mu_);
  auto store = Store(false);
  if (!store.ok()) {
    if (store.status().code() == StatusCode::kNotFound) return std::vector<Rollout>{};
    return store.status();
  }
  if (*store == nullptr) return std::vector<Rollout>{};
  INFERD_ASSIGN_OR_RETURN(std::vector<Route> routes, (*store)->LoadRoutes());
  for (Route& route : routes) {
    const std::string name = route.name;
    if (Status set = table_->Set(std::move(route)); !set.ok()) {
      return Internal("stored route '" + name + "' is invalid: " + set.message());
    }
  }
  return (*store)->LoadRollouts();
}

Status RouteControl::Put(Route route, const Rollout* rollout, bool serve_if_unsaved) {
  INFERD_RETURN_IF_ERROR(ValidateRoute(route));
  std::lock_guard lock(mu_);
  auto store = Store(true);
  Status stored = store.ok() ? Status::Ok() : store.status();
  if (stored.ok() && *store != nullptr) stored = (*store)->PutRoute(route, rollout);
  if (!stored.ok() && !serve_if_unsaved) return stored;
  INFERD_RETURN_IF_ERROR(table_->Set(std::move(route)));
  return stored;
}

Status RouteControl::Remove(std::string_view name) {
  std::lock_guard lock(mu_);
  if (!table_->Find(name)) return NotFound("no route named '" + std::string(name) + "'");
  INFERD_ASSIGN_OR_RETURN(RouteStore * store, Store(true));
  if (store != nullptr) INFERD_RETURN_IF_ERROR(store->DeleteRoute(name));
  return table_->Remove(name);
}

}  // namespace inferd
