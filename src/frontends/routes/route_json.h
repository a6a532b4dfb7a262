// JSON <-> core/routing values for the routes admin API, the routes file
// (--routes-file) and `inferd routes`: a route (with its shadow), a
// rollout's spec, and the status documents (traffic per variant, shadow
// comparison, rollout state and last judgement). Translates only.
//
// Stateless; thread-safe (ParseJson's document is per thread).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/routing/rollout.h"
#include "core/routing/route.h"
#include "core/routing/route_stats.h"
#include "core/routing/shadow_mirror.h"
#include "frontends/http/json_tensor_codec.h"

namespace inferd::routes {

// {"key", "salt", "variants": [{"name", "model", "version", "weight"}],
//  "shadow": {"variant", "sample", "timeout_ms"}}
StatusOr<Route> ParseRoute(std::string name, simdjson::dom::element doc);
// {"stable", "candidate", "steps", "interval_secs", "shadow_intervals",
//  "shadow_sample", "failure_limit", "dry_run", "promote_alias",
//  "promote_stage", "guards": {"max_error_rate", "max_error_rate_increase",
//  "max_p99_ms", "max_p99_ratio", "max_shadow_disagreement", "min_requests"}}
StatusOr<RolloutSpec> ParseRolloutSpec(std::string route, simdjson::dom::element doc);

void WriteRoute(http::JsonWriter& w, const Route& route);
// The same fields, into an object the caller opened.
void WriteRouteFields(http::JsonWriter& w, const Route& route);
void WriteRollout(http::JsonWriter& w, const Rollout& rollout);
// {"variants": [{"variant", "requests", "failures", "p50_ms", "p99_ms"}]}
// since the server started, and the shadow's comparison when it has one.
void WriteTraffic(http::JsonWriter& w, const Route& route, const RouteStats* stats,
                  const ShadowMirror* shadows);

}  // namespace inferd::routes
