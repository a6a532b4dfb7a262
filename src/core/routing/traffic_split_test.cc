#include "core/routing/traffic_split.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace inferd {
namespace {

TEST(TrafficSplitTest, TwentyThousandKeysAtNinetyTenLandWithinOnePoint) {
  const std::array<uint32_t, 2> weights{90, 10};
  int treatment = 0;
  for (int user = 0; user < 20'000; ++user) {
    treatment += VariantForBucket(weights, StickyBucket("exp", std::to_string(user))) == 1;
  }
  EXPECT_NEAR(treatment / 20'000.0, 0.10, 0.01);
}

TEST(TrafficSplitTest, AKeysBucketDependsOnlyOnSaltAndKey) {
  // Fixed values: every replica and every restart computes these.
  EXPECT_EQ(StickyBucket("exp", "user-42"), StickyBucket("exp", "user-42"));
  EXPECT_NE(StickyBucket("exp", "user-42"), StickyBucket("other", "user-42"));
  EXPECT_NE(StickyBucket("ab", "c"), StickyBucket("a", "bc"));
  EXPECT_EQ(StickyBucket("exp", "user-42"), 847u);  // SHA-256: fixed across builds
}

TEST(TrafficSplitTest, MovingWeightOnlyMovesUsersTowardTheVariantThatGains) {
  const std::array<uint32_t, 2> ten{90, 10}, fifty{50, 50};
  int moved = 0;
  for (int user = 0; user < 20'000; ++user) {
    const uint32_t bucket = StickyBucket("exp", std::to_string(user));
    const size_t before = VariantForBucket(ten, bucket), after = VariantForBucket(fifty, bucket);
    EXPECT_FALSE(before == 1 && after == 0) << user;  // never back to stable
    moved += before != after;
  }
  EXPECT_NEAR(moved / 20'000.0, 0.40, 0.015);
}

TEST(TrafficSplitTest, RangesFollowTheWeightsAndSkipEmptyVariants) {
  const std::array<uint32_t, 3> weights{1, 0, 3};
  EXPECT_EQ(VariantForBucket(weights, 0), 0u);
  EXPECT_EQ(VariantForBucket(weights, 2499), 0u);
  EXPECT_EQ(VariantForBucket(weights, 2500), 2u);
  EXPECT_EQ(VariantForBucket(weights, kTrafficBuckets - 1), 2u);
  const std::array<uint32_t, 2> all_first{1, 0};
  EXPECT_EQ(VariantForBucket(all_first, kTrafficBuckets - 1), 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(RandomBucket(), kTrafficBuckets);
}

}  // namespace
}  // namespace inferd
