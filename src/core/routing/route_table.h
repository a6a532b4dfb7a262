// The routes that serve, by name, and the choice of a variant for one
// request. Set replaces a route whole: a request sees the old route or the
// new one, never a mix.
//
// Ownership: owns the routes; Find hands out shared snapshots that stay
// valid after a change. Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/routing/route.h"

namespace inferd {

// What a request offers as a sticky key. Values are read while the variant
// is chosen and not kept.
class RouteKeyValues {
 public:
  virtual ~RouteKeyValues() = default;
  virtual std::optional<std::string> Header(std::string_view lower_name) const = 0;
  virtual std::optional<std::string> Query(std::string_view name) const = 0;
  // The authenticated identity ("api-key:k_..."); nullopt when anonymous.
  virtual std::optional<std::string> Identity() const = 0;
  // The variant the request asks for by name (X-Inferd-Variant), when its
  // caller may force one (the admin role, or anyone without authentication).
  virtual std::optional<std::string> ForcedVariant() const { return std::nullopt; }
  // A request parameter (KServe's request-level `parameters`).
  virtual std::optional<std::string> Parameter(std::string_view) const { return std::nullopt; }
};

// The variant of `route` for a request offering `values`. Without a value
// for the route's key (or with `values` null): the `fallback` key when
// given (a sequence's correlation id), else a random bucket.
const RouteVariant& ChooseVariant(const Route& route, const RouteKeyValues* values,
                                  std::optional<std::string> fallback = std::nullopt);

class RouteTable {
 public:
  // ValidateRoute's errors; otherwise the route serves from the next request.
  Status Set(Route route);
  // NOT_FOUND for a route that does not exist.
  Status Remove(std::string_view name);
  std::shared_ptr<const Route> Find(std::string_view name) const;
  // Every route, by name.
  std::vector<Route> List() const;
  // Read without the lock.
  bool empty() const { return count_.load(std::memory_order_acquire) == 0; }
  // Whether any route has a shadow; read without the lock, so routed
  // requests ask the table about shadows only when one exists.
  bool AnyShadow() const { return shadowed_.load(std::memory_order_acquire) > 0; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Route>, std::less<>> routes_;
  // routes_.size(), read without the lock: every request's model lookup
  // asks Find, and a server without routes should not take a lock for it.
  std::atomic<size_t> count_{0};
  std::atomic<size_t> shadowed_{0};  // routes with a shadow
  void Counted();                    // under mu_: count_ and shadowed_ from routes_
};

}  // namespace inferd
