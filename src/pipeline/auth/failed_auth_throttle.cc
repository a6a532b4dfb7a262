#include "pipeline/auth/failed_auth_throttle.h"

#include "pipeline/limits/rate_limit_headers.h"

namespace inferd::pipeline {

std::optional<Refusal> FailedAuthThrottle::OnFailure(const RequestContext& context) const {
  const std::string_view host = ClientHost(context.client_address);
  const limits::BucketDecision decision =
      buckets_->Take("auth-failures:" + std::string(host), spec_, limits::LimitClock::now());
  if (decision.allowed) return std::nullopt;
  const int64_t wait = std::max<int64_t>(1, limits::CeilSeconds(decision.retry_after));
  return Refusal{Status(StatusCode::kResourceExhausted, "too many failed authentications from " +
                                                            std::string(host) + "; retry in " +
                                                            std::to_string(wait) + " s"),
                 {{"retry-after", std::to_string(wait)}}};
}

}  // namespace inferd::pipeline
