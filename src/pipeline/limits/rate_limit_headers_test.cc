#include "pipeline/limits/rate_limit_headers.h"

#include <gtest/gtest.h>

#include <map>

#include "pipeline/limits/local_bucket_store.h"

namespace inferd::limits {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using Fields = std::vector<std::pair<std::string, std::string>>;

TEST(RateLimitHeadersTest, CeilSeconds) {
  EXPECT_EQ(CeilSeconds(nanoseconds(0)), 0);
  EXPECT_EQ(CeilSeconds(nanoseconds(-5)), 0);
  EXPECT_EQ(CeilSeconds(nanoseconds(1)), 1);
  EXPECT_EQ(CeilSeconds(seconds(2)), 2);
  EXPECT_EQ(CeilSeconds(seconds(2) + nanoseconds(1)), 3);
  EXPECT_EQ(CeilSeconds(milliseconds(1500)), 2);
}

TEST(RateLimitHeadersTest, AllowedHasNoRetryAfter) {
  BucketDecision d{true, 9, nanoseconds(0), milliseconds(100)};
  EXPECT_EQ(
      RateLimitHeaders(d, BucketSpec{10, 10}),
      (Fields{{"RateLimit-Limit", "10"}, {"RateLimit-Remaining", "9"}, {"RateLimit-Reset", "1"}}));
}

TEST(RateLimitHeadersTest, RefusedHasRetryAfterOfAtLeastOneSecond) {
  BucketDecision d{false, 0, milliseconds(400), milliseconds(4400)};
  EXPECT_EQ(RateLimitHeaders(d, BucketSpec{1, 5}), (Fields{{"RateLimit-Limit", "5"},
                                                           {"RateLimit-Remaining", "0"},
                                                           {"RateLimit-Reset", "5"},
                                                           {"Retry-After", "1"}}));
  d.retry_after = nanoseconds(0);
  EXPECT_EQ(RateLimitHeaders(d, BucketSpec{1, 5}).back(),
            (std::pair<std::string, std::string>("Retry-After", "1")));
  d.retry_after = milliseconds(2001);
  EXPECT_EQ(RateLimitHeaders(d, BucketSpec{1, 5}).back().second, "3");
}

TEST(RateLimitHeadersTest, FractionalValuesRoundDown) {
  BucketDecision d{true, 1.9, nanoseconds(0), nanoseconds(0)};
  const Fields f = RateLimitHeaders(d, BucketSpec{1, 2.5});
  EXPECT_EQ(f[0].second, "2");
  EXPECT_EQ(f[1].second, "1");
  EXPECT_EQ(f[2].second, "0");  // full: nothing to wait for
}

TEST(RateLimitHeadersTest, FromALocalStoreRefusal) {
  LocalBucketStore store;
  const BucketSpec spec{0.5, 2};  // a token every 2 s
  const LimitClock::time_point t0{};
  ASSERT_TRUE(store.Take("k", spec, t0).allowed);
  ASSERT_TRUE(store.Take("k", spec, t0).allowed);
  const BucketDecision refused = store.Take("k", spec, t0 + milliseconds(500));
  ASSERT_FALSE(refused.allowed);
  std::map<std::string, std::string> f;
  for (auto& [name, value] : RateLimitHeaders(refused, spec)) f[name] = value;
  EXPECT_EQ(f["RateLimit-Limit"], "2");
  EXPECT_EQ(f["RateLimit-Remaining"], "0");
  EXPECT_EQ(f["Retry-After"], "2");      // 1.5 s to the next token
  EXPECT_EQ(f["RateLimit-Reset"], "4");  // 3.5 s to full
}

}  // namespace
}  // namespace inferd::limits
