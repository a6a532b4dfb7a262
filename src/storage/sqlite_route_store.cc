#include "storage/sqlite_route_store.h"

#include <chrono>

namespace inferd {
namespace {

// A route's variants keep their order (it fixes the traffic split's bucket
// ranges); `key` is RouteKey's text; an empty shadow_variant is no shadow.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS routes (
  name TEXT PRIMARY KEY NOT NULL,
  key TEXT NOT NULL,
  salt TEXT NOT NULL DEFAULT '',
  shadow_variant TEXT NOT NULL DEFAULT '',
  shadow_sample_bp INTEGER NOT NULL DEFAULT 0,
  shadow_timeout_ms INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS route_variants (
  route TEXT NOT NULL REFERENCES routes(name) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  weight INTEGER NOT NULL,
  PRIMARY KEY (route, position)
);
CREATE TABLE IF NOT EXISTS rollouts (
  route TEXT PRIMARY KEY NOT NULL REFERENCES routes(name) ON DELETE CASCADE,
  state TEXT NOT NULL,
  body TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
)sql";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StatusOr<std::unique_ptr<SqliteRouteStore>> SqliteRouteStore::Open(
    const std::filesystem::path& path, bool create) {
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                          SqliteDb::Open(path, "route database", create, kSchema, "rollouts"));
  return std::unique_ptr<SqliteRouteStore>(new SqliteRouteStore(std::move(db)));
}

StatusOr<std::vector<Route>> SqliteRouteStore::LoadRoutes() {
  std::lock_guard lock(mu_);
  std::vector<Route> routes;
  SqliteStatement rows(*db_,
                       "SELECT name, key, salt, shadow_variant, shadow_sample_bp, "
                       "shadow_timeout_ms FROM routes ORDER BY name");
  while (rows.Row()) {
    Route& route = routes.emplace_back();
    route.name = rows.Text(0);
    auto key = RouteKey::Parse(rows.Text(1));
    if (!key.ok()) return Internal("stored route '" + route.name + "': " + key.status().message());
    route.key = *key;
    route.salt = rows.Text(2);
    route.shadow.variant = rows.Text(3);
    route.shadow.sample_bp = static_cast<uint32_t>(rows.Int(4));
    route.shadow.timeout_ms = static_cast<uint32_t>(rows.Int(5));
  }
  INFERD_RETURN_IF_ERROR(rows.status("read the routes"));
  for (Route& route : routes) {
    SqliteStatement variants(
        *db_,
        "SELECT name, model, version, weight FROM route_variants WHERE route = ? ORDER BY "
        "position");
    variants.Bind(route.name);
    while (variants.Row()) {
      route.variants.push_back({variants.Text(0), variants.Text(1), variants.Text(2),
                                static_cast<uint32_t>(variants.Int(3))});
    }
    INFERD_RETURN_IF_ERROR(variants.status("read a route's variants"));
  }
  return routes;
}

StatusOr<std::vector<Rollout>> SqliteRouteStore::LoadRollouts() {
  std::lock_guard lock(mu_);
  std::vector<Rollout> out;
  SqliteStatement rows(*db_, "SELECT route, body FROM rollouts ORDER BY route");
  while (rows.Row()) {
    auto rollout = DecodeRollout(rows.Text(1));
    if (!rollout.ok()) {
      return Internal("stored rollout of route '" + rows.Text(0) +
                      "': " + rollout.status().message());
    }
    out.push_back(std::move(rollout).value());
  }
  INFERD_RETURN_IF_ERROR(rows.status("read the rollouts"));
  return out;
}

Status SqliteRouteStore::PutRoute(const Route& route, const Rollout* rollout) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  const int64_t now = NowMs();
  // An upsert, not a REPLACE: replacing would delete the row and cascade to
  // the route's rollout.
  INFERD_RETURN_IF_ERROR(
      SqliteStatement(*db_,
                      "INSERT INTO routes (name, key, salt, shadow_variant, shadow_sample_bp, "
                      "shadow_timeout_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT(name) DO UPDATE SET key = excluded.key, salt = excluded.salt, "
                      "shadow_variant = excluded.shadow_variant, "
                      "shadow_sample_bp = excluded.shadow_sample_bp, "
                      "shadow_timeout_ms = excluded.shadow_timeout_ms, "
                      "updated_ms = excluded.updated_ms")
          .Bind(route.name)
          .Bind(route.key.ToString())
          .Bind(route.salt)
          .Bind(route.shadow.variant)
          .Bind(int64_t{route.shadow.sample_bp})
          .Bind(int64_t{route.shadow.timeout_ms})
          .Bind(now)
          .Run("write a route"));
  INFERD_RETURN_IF_ERROR(SqliteStatement(*db_, "DELETE FROM route_variants WHERE route = ?")
                             .Bind(route.name)
                             .Run("replace a route's variants"));
  int64_t position = 0;
  for (const RouteVariant& v : route.variants) {
    INFERD_RETURN_IF_ERROR(
        SqliteStatement(*db_,
                        "INSERT INTO route_variants (route, position, name, model, version, "
                        "weight) VALUES (?, ?, ?, ?, ?, ?)")
            .Bind(route.name)
            .Bind(position++)
            .Bind(v.name)
            .Bind(v.model)
            .Bind(v.version)
            .Bind(int64_t{v.weight})
            .Run("write a route's variant"));
  }
  if (rollout != nullptr) {
    INFERD_RETURN_IF_ERROR(
        SqliteStatement(*db_,
                        "INSERT OR REPLACE INTO rollouts (route, state, body, updated_ms) "
                        "VALUES (?, ?, ?, ?)")
            .Bind(route.name)
            .Bind(RolloutStateName(rollout->state))
            .Bind(EncodeRollout(*rollout))
            .Bind(now)
            .Run("write a rollout"));
  }
  return tx.Commit();
}

Status SqliteRouteStore::DeleteRoute(std::string_view name) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  INFERD_RETURN_IF_ERROR(
      SqliteStatement(*db_, "DELETE FROM routes WHERE name = ?").Bind(name).Run("delete a route"));
  return tx.Commit();
}

}  // namespace inferd
