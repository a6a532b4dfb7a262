#include "core/routing/route_table.h"

#include <algorithm>
#include <array>
#include <span>

#include "core/routing/traffic_split.h"

namespace inferd {
namespace {

std::optional<std::string> KeyOf(const RouteKey& key, const RouteKeyValues& values) {
  switch (key.source) {
    case RouteKey::Source::kRandom:
      return std::nullopt;
    case RouteKey::Source::kHeader:
      return values.Header(key.name);
    case RouteKey::Source::kQuery:
      return values.Query(key.name);
    case RouteKey::Source::kIdentity:
      return values.Identity();
    case RouteKey::Source::kParam:
      return values.Parameter(key.name);
  }
  return std::nullopt;
}

}  // namespace

const RouteVariant& ChooseVariant(const Route& route, const RouteKeyValues* values,
                                  std::optional<std::string> fallback) {
  std::optional<std::string> key = values ? KeyOf(route.key, *values) : std::nullopt;
  if (!key || key->empty()) key = std::move(fallback);
  const uint32_t bucket =
      key && !key->empty() ? StickyBucket(route.EffectiveSalt(), *key) : RandomBucket();
  // No allocation per request: a route has at most kMaxRouteVariants.
  std::array<uint32_t, kMaxRouteVariants> weights{};
  const size_t n = std::min(route.variants.size(), weights.size());
  for (size_t i = 0; i < n; ++i) weights[i] = route.variants[i].weight;
  return route.variants[VariantForBucket(std::span<const uint32_t>(weights.data(), n), bucket)];
}

Status RouteTable::Set(Route route) {
  INFERD_RETURN_IF_ERROR(ValidateRoute(route));
  auto shared = std::make_shared<const Route>(std::move(route));
  std::lock_guard lock(mu_);
  routes_[shared->name] = std::move(shared);
  Counted();
  return Status::Ok();
}

void RouteTable::Counted() {
  size_t shadowed = 0;
  for (const auto& [name, route] : routes_) shadowed += route->shadow.enabled();
  count_.store(routes_.size(), std::memory_order_release);
  shadowed_.store(shadowed, std::memory_order_release);
}

Status RouteTable::Remove(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = routes_.find(name);
  if (it == routes_.end()) return NotFound("no route named '" + std::string(name) + "'");
  routes_.erase(it);
  Counted();
  return Status::Ok();
}

std::shared_ptr<const Route> RouteTable::Find(std::string_view name) const {
  if (count_.load(std::memory_order_acquire) == 0) return nullptr;
  std::lock_guard lock(mu_);
  auto it = routes_.find(name);
  return it == routes_.end() ? nullptr : it->second;
}

std::vector<Route> RouteTable::List() const {
  std::lock_guard lock(mu_);
  std::vector<Route> out;
  out.reserve(routes_.size());
  for (const auto& [name, route] : routes_) out.push_back(*route);
  return out;
}

}  // namespace inferd
