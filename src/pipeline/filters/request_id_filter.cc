#include "pipeline/filters/request_id_filter.h"

#include "observability/request_scope.h"

namespace inferd::pipeline {

std::optional<Refusal> RequestIdFilter::OnCall(RequestContext& context) {
  const std::string_view given = context.headers ? context.headers->Get("x-request-id") : "";
  if (RequestScope::IsAcceptableId(given)) {
    context.request_id = std::string(given);
    context.request_id_from_client = true;
  } else {
    // A UUID-shaped random id (version 4 layout), as most proxies make.
    std::string hex = RandomHexId(16);
    hex[12] = '4';
    hex[16] = "89ab"[hex[16] % 4];
    context.request_id = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                         hex.substr(16, 4) + "-" + hex.substr(20);
  }
  context.response_headers.emplace_back("x-request-id", context.request_id);
  return std::nullopt;
}

}  // namespace inferd::pipeline
