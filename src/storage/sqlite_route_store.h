// The route store (core/routing/route_store.h) in a SQLite database:
// routes with their variants and shadow, and each route's rollout as the
// text core/routing/rollout.h encodes, written together in one transaction.
//
// Ownership: owns the database connection. Thread-safety: thread-safe
// (changes are serialized by a mutex; SQLite serializes the connection).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "core/routing/route_store.h"
#include "storage/sqlite_db.h"

namespace inferd {

class SqliteRouteStore : public RouteStore {
 public:
  // NOT_FOUND when the file does not exist and `create` is false.
  static StatusOr<std::unique_ptr<SqliteRouteStore>> Open(const std::filesystem::path& path,
                                                          bool create);

  StatusOr<std::vector<Route>> LoadRoutes() override;
  StatusOr<std::vector<Rollout>> LoadRollouts() override;
  Status PutRoute(const Route& route, const Rollout* rollout) override;
  Status DeleteRoute(std::string_view name) override;

 private:
  explicit SqliteRouteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace inferd
