#include "pipeline/limits/rate_limit_headers.h"

#include <algorithm>
#include <cmath>

namespace inferd::limits {
namespace {

// Non-negative whole number, rounded down; NaN and negatives give 0. Values
// are bounded by kMaxBurst in practice; the clamp keeps the cast defined.
int64_t FloorCount(double v) {
  if (!(v > 0)) return 0;
  return static_cast<int64_t>(std::floor(std::min(v, 9e15)));
}

}  // namespace

int64_t CeilSeconds(std::chrono::nanoseconds d) {
  const int64_t ns = d.count();
  if (ns <= 0) return 0;
  constexpr int64_t kNsPerSecond = 1000000000;
  return ns / kNsPerSecond + (ns % kNsPerSecond != 0 ? 1 : 0);
}

std::vector<std::pair<std::string, std::string>> RateLimitHeaders(const BucketDecision& decision,
                                                                  const BucketSpec& spec) {
  std::vector<std::pair<std::string, std::string>> fields;
  fields.reserve(4);
  fields.emplace_back("RateLimit-Limit", std::to_string(FloorCount(spec.burst)));
  fields.emplace_back("RateLimit-Remaining", std::to_string(FloorCount(decision.remaining)));
  fields.emplace_back("RateLimit-Reset", std::to_string(CeilSeconds(decision.reset_after)));
  if (!decision.allowed) {
    fields.emplace_back("Retry-After",
                        std::to_string(std::max<int64_t>(1, CeilSeconds(decision.retry_after))));
  }
  return fields;
}

}  // namespace inferd::limits
