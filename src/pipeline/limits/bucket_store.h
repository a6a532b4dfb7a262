// BucketStore: where token buckets for rate limiting live, keyed by a string
// the caller builds (e.g. "tenant:acme" or "model:resnet:key:42"). One Take
// is one request against one bucket: it refills the bucket for the time that
// passed, then takes one token if there is one.
//
// The store owns the buckets; callers own the specs and may pass a different
// spec for the same key later (tokens carry over, capped at the new burst).
// LocalBucketStore keeps buckets in this process; a shared store (Redis) can
// serve several replicas behind the same interface. Such a store may ignore
// `now` and use its own clock, since steady_clock values of different
// machines don't compare.
//
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <chrono>
#include <cmath>
#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd::limits {

using LimitClock = std::chrono::steady_clock;

// A token bucket: holds at most `burst` tokens and gains `rate_per_second`
// tokens per second; each admitted request takes one.
struct BucketSpec {
  double rate_per_second = 0;
  double burst = 0;
};

// Bounds that keep the arithmetic exact enough and the durations in range.
inline constexpr double kMinRatePerSecond = 1e-6;
inline constexpr double kMaxRatePerSecond = 1e9;
inline constexpr double kMaxBurst = 1e9;

// OK when the spec can admit requests: a finite rate in [kMinRatePerSecond,
// kMaxRatePerSecond] and a finite burst in [1, kMaxBurst]. Check specs when
// loading the config; stores refuse every request under an invalid spec.
inline Status ValidateBucketSpec(const BucketSpec& spec) {
  if (!std::isfinite(spec.rate_per_second) || spec.rate_per_second < kMinRatePerSecond ||
      spec.rate_per_second > kMaxRatePerSecond) {
    return InvalidArgument("rate limit: rate_per_second must be in [1e-6, 1e9]");
  }
  if (!std::isfinite(spec.burst) || spec.burst < 1 || spec.burst > kMaxBurst) {
    return InvalidArgument("rate limit: burst must be in [1, 1e9]");
  }
  return Status::Ok();
}

struct BucketDecision {
  bool allowed = false;
  // Whole tokens left after this take (rounded down).
  double remaining = 0;
  // Zero when allowed; else the time until the bucket holds one token.
  std::chrono::nanoseconds retry_after{0};
  // The time until the bucket is full again if nothing more is taken.
  std::chrono::nanoseconds reset_after{0};
};

class BucketStore {
 public:
  virtual ~BucketStore() = default;

  // Takes one token from the bucket of `bucket_key` at time `now`. A key not
  // seen before starts with a full bucket.
  virtual BucketDecision Take(std::string_view bucket_key, const BucketSpec& spec,
                              LimitClock::time_point now) = 0;
};

}  // namespace inferd::limits
