// A route: a name clients call exactly like a model name, in every protocol,
// that the core resolves to one of its variants (a model at a version,
// label or alias) for each request. Which variant serves a request is
// decided by the route's traffic split (core/routing/traffic_split.h) over a
// key taken from the request (a header, a query parameter, the caller's
// identity) or, without one, at random.
//
// Plain values; ValidateRoute says whether one can serve. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace inferd {

// Where a request's sticky key comes from.
struct RouteKey {
  enum class Source {
    kRandom,    // no key: every request is assigned afresh
    kHeader,    // an HTTP header, or the gRPC metadata of the same name
    kQuery,     // an HTTP query parameter (the seeds' ?user_id=)
    kIdentity,  // the authenticated identity (api-key:k_..., jwt:alice)
    kParam,     // a request parameter (KServe's request-level `parameters`)
  };
  Source source = Source::kRandom;
  std::string name;  // the header (lower case), query parameter or request parameter

  // "random", "identity", "header:X-User-Id", "query:user_id", "param:user_id".
  static StatusOr<RouteKey> Parse(std::string_view text);
  std::string ToString() const;
  bool operator==(const RouteKey&) const = default;
};

struct RouteVariant {
  std::string name;     // what answers report (X-Inferd-Variant): "control"
  std::string model;    // the model that serves it
  std::string version;  // "" (the default version), a number, a label or an alias
  uint32_t weight = 0;  // relative share; 0 takes no traffic
  bool operator==(const RouteVariant&) const = default;
};

// A share of a route's requests mirrored to one of its variants after the
// primary's answer has gone out (core/routing/shadow_mirror.h). The shadow's
// answers are compared with the primary's and never reach the client.
struct RouteShadow {
  std::string variant;      // a variant of the route; empty: no shadow
  uint32_t sample_bp = 0;   // share of requests mirrored, in basis points (1-10000)
  uint32_t timeout_ms = 0;  // how long a mirrored request may wait; 0: 1000
  bool operator==(const RouteShadow&) const = default;
  bool enabled() const { return !variant.empty(); }
};

struct Route {
  std::string name;
  std::vector<RouteVariant> variants;  // their order fixes the bucket ranges
  RouteKey key;
  // Mixed into the key's hash: routes with different salts split the same
  // users independently. Empty: the route's name.
  std::string salt;
  RouteShadow shadow;
  bool operator==(const Route&) const = default;

  const std::string& EffectiveSalt() const { return salt.empty() ? name : salt; }
  // Whether requests reach `v`: it has weight, or it is the shadow. Its model
  // must then be ready and stay loaded.
  bool Serves(const RouteVariant& v) const { return v.weight > 0 || shadow.variant == v.name; }
  // INVALID_ARGUMENT for a request that names a version of this route.
  Status RefuseVersion() const {
    return InvalidArgument("'" + name +
                           "' is a route: it takes no version (its variants name theirs)");
  }
};

inline constexpr size_t kMaxRouteVariants = 16;
inline constexpr uint32_t kMaxVariantWeight = 1'000'000;

// INVALID_ARGUMENT, with the reason, unless: the route and variant names
// (and a salt, if given) are 1-128 characters of [A-Za-z0-9_.-], variant names are unique, each
// variant names a model, there are 1-16 variants, weights are at most 1,000,000 and at least one is
// positive, and a shadow names one of the route's variants with a sample of 1-10000 basis points.
Status ValidateRoute(const Route& route);

}  // namespace inferd
