// Every change to the routes goes through here: written to the route store
// first (when there is one), then to the table that serves, one change at a
// time, so what serves is what a restart will serve. The database is
// created on the first change, not at start.
//
// Ownership: borrows the table; owns the store once opened.
// Thread-safety: thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/routing/route_store.h"
#include "core/routing/route_table.h"

namespace inferd {

class RouteControl {
 public:
  // `opener` null: routes are kept in memory only.
  RouteControl(RouteTable* table, RouteStoreOpener opener)
      : table_(table), opener_(std::move(opener)) {}

  // At start: the stored routes into the table; their rollouts returned.
  // Nothing (and OK) when the database does not exist yet.
  StatusOr<std::vector<Rollout>> Load();
  // Validated (ValidateRoute), stored with `rollout` when given, then served.
  // With `serve_if_unsaved`, a store that fails does not stop it serving
  // (its error is still returned): a rollback must not wait for a disk.
  Status Put(Route route, const Rollout* rollout = nullptr, bool serve_if_unsaved = false);
  // NOT_FOUND for a route that does not exist.
  Status Remove(std::string_view name);
  const RouteTable& table() const { return *table_; }

 private:
  StatusOr<RouteStore*> Store(bool create);

  std::mutex mu_;
  RouteTable* table_;
  RouteStoreOpener opener_;
  std::unique_ptr<RouteStore> store_;
};

}  // namespace inferd
