// The HTTP response fields that tell a client where it stands with a rate
// limit, from a BucketDecision: the separate-field form of the IETF draft
// draft-ietf-httpapi-ratelimit-headers (RateLimit-Limit, RateLimit-Remaining,
// RateLimit-Reset), plus Retry-After (RFC 9110) on a refusal.
//
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/limits/bucket_store.h"

namespace inferd::limits {

// Whole seconds, rounded up (a client that waits the value is never early).
int64_t CeilSeconds(std::chrono::nanoseconds d);

// The fields, in this order:
//   RateLimit-Limit      the burst, rounded down (the most requests at once)
//   RateLimit-Remaining  decision.remaining, rounded down
//   RateLimit-Reset      seconds until the bucket is full, rounded up
//   Retry-After          only when refused: seconds until one token, rounded
//                        up and at least 1 (0 would invite a tight loop)
std::vector<std::pair<std::string, std::string>> RateLimitHeaders(const BucketDecision& decision,
                                                                  const BucketSpec& spec);

}  // namespace inferd::limits
