// A route's sticky key as an HTTP request offers it: a header, a query
// parameter (the seeds' ?user_id=), or the identity the pipeline found.
// Borrows the request and the identity; valid while the handler runs.
#pragma once

#include <optional>
#include <string>

#include "core/routing/route_table.h"
#include "frontends/http/http_types.h"
#include "pipeline/request_context.h"

namespace inferd::http {

class HttpRouteKeys final : public RouteKeyValues {
 public:
  // `identity` may be null (no pipeline).
  HttpRouteKeys(const HttpRequest& request, const pipeline::Identity* identity)
      : request_(request), identity_(identity) {}
  std::optional<std::string> Header(std::string_view lower_name) const override;
  std::optional<std::string> Query(std::string_view name) const override;
  std::optional<std::string> Identity() const override;
  // X-Inferd-Variant, for an admin (or anyone when there is no pipeline or
  // no authentication: the anonymous identity then holds every role).
  std::optional<std::string> ForcedVariant() const override;

 private:
  const HttpRequest& request_;
  const pipeline::Identity* identity_;
};

}  // namespace inferd::http
