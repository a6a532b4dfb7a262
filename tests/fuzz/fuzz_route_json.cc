// libFuzzer target: the routes admin API's and routes file's JSON (a route,
// a rollout), and the rollout text the route store keeps. Checks round
// trips, not just crashes: a valid route written out and read back is the
// same route, and a stored rollout decoded, encoded and decoded again is the
// same rollout. The first byte picks what the rest is.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "frontends/http/json_buffer.h"
#include "frontends/routes/route_json.h"

namespace {

inferd::Route Canary() {
  inferd::Route route;
  route.name = "clf";
  route.variants = {{"stable", "m", "1", 100}, {"candidate", "m", "2", 0}};
  return route;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 3 == 2) {
    auto decoded = inferd::DecodeRollout(text);
    if (decoded.ok()) {
      auto again = inferd::DecodeRollout(inferd::EncodeRollout(*decoded));
      if (!again.ok() || !(again->spec == decoded->spec) || again->state != decoded->state ||
          again->step != decoded->step || again->reason != decoded->reason) {
        std::abort();
      }
    }
    return 0;
  }
  auto doc = inferd::http::ParseJson(text);
  if (!doc.ok()) return 0;
  if (data[0] % 3 == 1) {
    auto spec = inferd::routes::ParseRolloutSpec("clf", *doc);
    if (spec.ok()) (void)inferd::ValidateRollout(*spec, Canary());
    return 0;
  }
  auto route = inferd::routes::ParseRoute("exp", *doc);
  if (!route.ok() || !inferd::ValidateRoute(*route).ok()) return 0;
  inferd::http::JsonBuffer buffer;
  inferd::http::JsonWriter w(buffer);
  inferd::routes::WriteRoute(w, *route);
  const std::string written = buffer.Release();
  auto reread_doc = inferd::http::ParseJson(written);
  if (!reread_doc.ok()) std::abort();
  auto reread = inferd::routes::ParseRoute("exp", *reread_doc);
  if (!reread.ok()) std::abort();
  // What an answer writes is what a body may send; the salt and the shadow's
  // timeout come back with their defaults filled in.
  const auto timeout = [](const inferd::Route& r) {
    return r.shadow.timeout_ms == 0 ? 1000u : r.shadow.timeout_ms;
  };
  if (!(reread->variants == route->variants) || !(reread->key == route->key) ||
      reread->EffectiveSalt() != route->EffectiveSalt() ||
      reread->shadow.variant != route->shadow.variant ||
      reread->shadow.sample_bp != route->shadow.sample_bp || timeout(*reread) != timeout(*route)) {
    std::abort();
  }
  return 0;
}
