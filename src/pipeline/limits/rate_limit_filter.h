// Rate and concurrency limits per identity (an API key, a token's subject,
// a certificate) or, for anonymous requests, per client address. Runs right
// after authentication, before any body is decoded: token buckets of
// `requests_per_second` with `burst`, optionally one bucket per model too
// (checked once the model is known), and at most `concurrency` requests in
// flight per identity. Over a limit: 429 (RESOURCE_EXHAUSTED) with
// Retry-After and RateLimit-Limit/Remaining/Reset; admitted answers carry
// the RateLimit-* headers too.
//
// Ownership: borrows the bucket store (an in-process one today; a shared
// one can serve several replicas), which must outlive it; owns its
// concurrency counters. Thread-safety: thread-safe.
#pragma once

#include <optional>

#include "pipeline/filter.h"
#include "pipeline/limits/bucket_store.h"
#include "pipeline/limits/concurrency_limiter.h"

namespace inferd::pipeline {

struct RateLimitOptions {
  std::optional<limits::BucketSpec> per_identity;  // unset: no rate limit
  bool per_model = false;                          // also one bucket per (identity, model)
  int concurrency = 0;                             // in flight per identity; 0: no limit
};

class RateLimitFilter final : public Filter {
 public:
  RateLimitFilter(RateLimitOptions options, limits::BucketStore* buckets)
      : options_(options), buckets_(buckets) {}
  std::optional<Refusal> OnCall(RequestContext& context) override;
  std::optional<Refusal> OnTarget(RequestContext& context) override;
  std::optional<Refusal> OnMessage(RequestContext& context) override;

  // The bucket key of a request: its identity, or its client's address.
  static std::string BucketKey(const RequestContext& context);

 private:
  std::optional<Refusal> Take(RequestContext& context, const std::string& key);
  RateLimitOptions options_;
  limits::BucketStore* buckets_;
  limits::ConcurrencyLimiter in_flight_;
};

}  // namespace inferd::pipeline
