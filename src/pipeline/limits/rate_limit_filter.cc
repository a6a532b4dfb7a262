#include "pipeline/limits/rate_limit_filter.h"

#include "pipeline/auth/authorization_filter.h"
#include "pipeline/limits/rate_limit_headers.h"

namespace inferd::pipeline {
namespace {

bool IsLimited(RouteKind kind) {
  // Probes and scrapes are never throttled: a limit must not make a healthy
  // server look dead.
  return kind != RouteKind::kHealth && kind != RouteKind::kMetrics && kind != RouteKind::kDocs;
}

}  // namespace

std::string RateLimitFilter::BucketKey(const RequestContext& context) {
  if (context.identity.authenticated()) return context.identity.Label();
  return "address:" + std::string(ClientHost(context.client_address));
}

std::optional<Refusal> RateLimitFilter::Take(RequestContext& context, const std::string& key) {
  const limits::BucketDecision decision =
      buckets_->Take(key, *options_.per_identity, limits::LimitClock::now());
  auto headers = limits::RateLimitHeaders(decision, *options_.per_identity);
  // Lower-case: gRPC metadata keys must be, and HTTP does not mind.
  for (auto& [name, value] : headers) {
    for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  if (!decision.allowed) {
    return Refusal{Status(StatusCode::kResourceExhausted,
                          "rate limit exceeded for " + context.identity.Label() + "; retry later"),
                   std::move(headers)};
  }
  // The latest bucket's numbers replace the previous ones.
  std::erase_if(context.response_headers,
                [](const auto& h) { return h.first.starts_with("ratelimit-"); });
  for (auto& header : headers) context.response_headers.push_back(std::move(header));
  return std::nullopt;
}

std::optional<Refusal> RateLimitFilter::OnCall(RequestContext& context) {
  if (!IsLimited(context.kind)) return std::nullopt;
  const std::string key = BucketKey(context);
  if (options_.concurrency > 0) {
    auto permit = in_flight_.TryAcquire(key, options_.concurrency);
    if (!permit) {
      return Refusal{Status(StatusCode::kResourceExhausted,
                            "too many requests in flight for " + context.identity.Label() +
                                " (limit " + std::to_string(options_.concurrency) + ")"),
                     {{"retry-after", "1"}}};
    }
    context.held.push_back(
        std::make_shared<limits::ConcurrencyLimiter::Permit>(std::move(*permit)));
  }
  if (options_.per_identity) return Take(context, key);
  return std::nullopt;
}

std::optional<Refusal> RateLimitFilter::OnMessage(RequestContext& context) {
  // Every message of a stream is a request: each takes a token.
  if (!options_.per_identity || !IsLimited(context.kind)) return std::nullopt;
  return Take(context, BucketKey(context));
}

std::optional<Refusal> RateLimitFilter::OnTarget(RequestContext& context) {
  if (!options_.per_identity || !options_.per_model || !IsLimited(context.kind) ||
      context.model.empty()) {
    return std::nullopt;
  }
  return Take(context, BucketKey(context) + "|model:" +
                           std::string(AuthorizationFilter::BaseModelName(context.model)));
}

}  // namespace inferd::pipeline
