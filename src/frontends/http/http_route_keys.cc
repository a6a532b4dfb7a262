#include "frontends/http/http_route_keys.h"

#include "frontends/http/query_params.h"

namespace inferd::http {

std::optional<std::string> HttpRouteKeys::Header(std::string_view lower_name) const {
  if (!request_.HasHeader(lower_name)) return std::nullopt;
  return std::string(request_.Header(lower_name));
}

std::optional<std::string> HttpRouteKeys::Query(std::string_view name) const {
  return QueryParam(request_.query, name);
}

std::optional<std::string> HttpRouteKeys::Identity() const {
  if (identity_ == nullptr || !identity_->authenticated()) return std::nullopt;
  return identity_->Label();
}

std::optional<std::string> HttpRouteKeys::ForcedVariant() const {
  if (!request_.HasHeader("x-inferd-variant")) return std::nullopt;
  if (identity_ != nullptr && !identity_->roles.Has(Role::kAdmin)) return std::nullopt;
  return std::string(request_.Header("x-inferd-variant"));
}

}  // namespace inferd::http
