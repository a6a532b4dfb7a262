#include "pipeline/limits/local_bucket_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

namespace inferd::limits {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// The fake clock: time points are offsets from the clock's epoch.
LimitClock::time_point At(nanoseconds since_epoch) {
  return LimitClock::time_point(since_epoch);
}

TEST(LocalBucketStoreTest, BurstAdmittedThenRefused) {
  LocalBucketStore store;
  const BucketSpec spec{1, 5};
  for (int i = 0; i < 5; ++i) {
    const BucketDecision d = store.Take("k", spec, At(seconds(1)));
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.retry_after, nanoseconds(0));
    EXPECT_EQ(d.reset_after, seconds(i + 1));
  }
  const BucketDecision d = store.Take("k", spec, At(seconds(1)));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.retry_after, seconds(1));
  EXPECT_EQ(d.reset_after, seconds(5));
}

// Requests every millisecond for `duration`; returns how many were admitted.
int AdmittedOverTime(LocalBucketStore& store, const BucketSpec& spec, seconds duration) {
  int admitted = 0;
  for (auto t = nanoseconds(0); t < duration; t += milliseconds(1)) {
    admitted += store.Take("k", spec, At(t)).allowed ? 1 : 0;
  }
  return admitted;
}

TEST(LocalBucketStoreTest, RefillsAtTheExactRate) {
  LocalBucketStore store;
  const BucketSpec spec{100, 10};
  const int admitted = AdmittedOverTime(store, spec, seconds(10));
  // 10 at once, then one per 10 ms over the 9.999 s the requests span.
  const double expected = 10 + 100 * 10;
  EXPECT_LE(admitted, 10 + 100 * 9.999);
  EXPECT_GE(admitted, 0.99 * expected);
  EXPECT_EQ(admitted, 1009);  // no refill tick lost to rounding
}

TEST(LocalBucketStoreTest, RefillsAtARateWithNoExactBinaryForm) {
  LocalBucketStore store;
  const BucketSpec spec{3.3, 1};
  const int admitted = AdmittedOverTime(store, spec, seconds(100));
  EXPECT_LE(admitted, 1 + 3.3 * 99.999);
  EXPECT_GE(admitted, 0.99 * (1 + 3.3 * 100));
}

TEST(LocalBucketStoreTest, RetryAfterIsExactlyLongEnough) {
  LocalBucketStore store;
  const BucketSpec spec{2, 1};  // a token every 500 ms
  ASSERT_TRUE(store.Take("k", spec, At(seconds(10))).allowed);
  const auto now = At(seconds(10) + milliseconds(100));
  const BucketDecision d = store.Take("k", spec, now);
  ASSERT_FALSE(d.allowed);
  EXPECT_NEAR(static_cast<double>(d.retry_after.count()), 400e6, 2);
  EXPECT_EQ(d.reset_after, d.retry_after);  // burst 1: one token is full
  EXPECT_FALSE(store.Take("k", spec, now + d.retry_after - microseconds(1)).allowed);
  EXPECT_TRUE(store.Take("k", spec, now + d.retry_after).allowed);
}

TEST(LocalBucketStoreTest, DistinctKeysAreIndependent) {
  LocalBucketStore store;
  const BucketSpec spec{1, 2};
  EXPECT_TRUE(store.Take("a", spec, At(seconds(0))).allowed);
  EXPECT_TRUE(store.Take("a", spec, At(seconds(0))).allowed);
  EXPECT_FALSE(store.Take("a", spec, At(seconds(0))).allowed);
  const BucketDecision b = store.Take("b", spec, At(seconds(0)));
  EXPECT_TRUE(b.allowed);
  EXPECT_EQ(b.remaining, 1);
  EXPECT_FALSE(store.Take("a", spec, At(seconds(0))).allowed);
  EXPECT_EQ(store.GetStats().keys, 2u);
}

TEST(LocalBucketStoreTest, AnOlderNowRefillsNothingAndWaitsFromItself) {
  LocalBucketStore store;
  const BucketSpec spec{1, 1};
  ASSERT_TRUE(store.Take("k", spec, At(seconds(5))).allowed);
  // A thread that read the clock earlier reaches the lock later.
  const BucketDecision d = store.Take("k", spec, At(seconds(4)));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(2));
  EXPECT_TRUE(store.Take("k", spec, At(seconds(6))).allowed);
}

TEST(LocalBucketStoreTest, ASmallerBurstCapsTheTokens) {
  LocalBucketStore store;
  ASSERT_TRUE(store.Take("k", BucketSpec{1, 10}, At(seconds(0))).allowed);
  const BucketDecision d = store.Take("k", BucketSpec{1, 2}, At(seconds(0)));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 1);
}

TEST(LocalBucketStoreTest, InvalidSpecsAreRejectedAndRefused) {
  LocalBucketStore store;
  const BucketSpec bad[] = {{0, 5}, {-1, 5}, {NAN, 5}, {INFINITY, 5}, {1, 0.5}, {1, NAN}, {1, 2e9}};
  for (const BucketSpec& spec : bad) {
    EXPECT_FALSE(ValidateBucketSpec(spec).ok()) << spec.rate_per_second << " " << spec.burst;
    const BucketDecision d = store.Take("k", spec, At(seconds(0)));
    EXPECT_FALSE(d.allowed);
    EXPECT_GT(d.retry_after, nanoseconds(0));
  }
  EXPECT_EQ(store.GetStats().keys, 0u);
  EXPECT_TRUE(ValidateBucketSpec(BucketSpec{1e-6, 1e9}).ok());
}

TEST(LocalBucketStoreTest, ExtremeSpecsKeepDurationsInRange) {
  LocalBucketStore store;
  const BucketSpec slow{1e-6, 1e9};
  ASSERT_TRUE(store.Take("k", slow, At(seconds(0))).allowed);
  const BucketDecision d = store.Take("k", slow, At(seconds(0)));
  EXPECT_TRUE(d.allowed);
  EXPECT_GT(d.reset_after, nanoseconds(0));
}

TEST(LocalBucketStoreTest, KeyCountStaysWithinTheBound) {
  LocalBucketStore store(LocalBucketStoreOptions{160, 16});
  EXPECT_EQ(store.max_keys(), 160u);
  const BucketSpec spec{1, 5};
  for (int i = 0; i < 10000; ++i) {
    // All at one instant: no bucket is full, so room comes from lossy eviction.
    EXPECT_TRUE(store.Take("client-" + std::to_string(i), spec, At(seconds(1))).allowed);
    ASSERT_LE(store.GetStats().keys, 160u) << i;
  }
  const LocalBucketStore::Stats stats = store.GetStats();
  EXPECT_GT(stats.evicted_lossy, 0u);
  EXPECT_EQ(stats.keys + stats.evicted_lossy + stats.evicted_full, 10000u);
}

TEST(LocalBucketStoreTest, BoundSmallerThanShardCount) {
  LocalBucketStore store(LocalBucketStoreOptions{3, 16});
  EXPECT_EQ(store.max_keys(), 3u);
  for (int i = 0; i < 100; ++i) store.Take(std::to_string(i), BucketSpec{1, 1}, At(seconds(0)));
  EXPECT_LE(store.GetStats().keys, 3u);
}

TEST(LocalBucketStoreTest, FullBucketsAreEvictedFirstAndLosslessly) {
  LocalBucketStore store(LocalBucketStoreOptions{16, 1});
  const BucketSpec spec{1, 2};
  for (int i = 0; i < 16; ++i) store.Take("old-" + std::to_string(i), spec, At(seconds(0)));
  // By t = 1 s every old bucket has its token back; a new key makes room.
  const BucketDecision fresh = store.Take("new", spec, At(seconds(1)));
  LocalBucketStore::Stats stats = store.GetStats();
  EXPECT_EQ(stats.evicted_full, 16u);
  EXPECT_EQ(stats.evicted_lossy, 0u);
  EXPECT_EQ(stats.keys, 1u);
  // An evicted key answers exactly as a key never seen.
  const BucketDecision again = store.Take("old-3", spec, At(seconds(1)));
  EXPECT_EQ(again.allowed, fresh.allowed);
  EXPECT_EQ(again.remaining, fresh.remaining);
  EXPECT_EQ(again.reset_after, fresh.reset_after);
}

TEST(LocalBucketStoreTest, LossyEvictionDropsTheBucketNearestFull) {
  LocalBucketStore store(LocalBucketStoreOptions{4, 1});
  const BucketSpec spec{1, 3};
  store.Take("a", spec, At(seconds(0)));  // full again at 1 s
  for (const char* key : {"b", "c", "d"}) {
    for (int i = 0; i < 3; ++i) store.Take(key, spec, At(seconds(0)));  // full at 3 s
  }
  EXPECT_TRUE(store.Take("e", spec, At(seconds(0))).allowed);
  EXPECT_EQ(store.GetStats().evicted_lossy, 1u);
  EXPECT_FALSE(store.Take("b", spec, At(seconds(0))).allowed);  // kept
  EXPECT_FALSE(store.Take("c", spec, At(seconds(0))).allowed);
  EXPECT_FALSE(store.Take("d", spec, At(seconds(0))).allowed);
  EXPECT_EQ(store.Take("a", spec, At(seconds(0))).remaining, 2);  // started over
}

TEST(LocalBucketStoreTest, SweepDropsOnlyFullBuckets) {
  LocalBucketStore store;
  const BucketSpec spec{1, 2};
  store.Take("one", spec, At(seconds(0)));  // full at 1 s
  store.Take("two", spec, At(seconds(0)));
  store.Take("two", spec, At(seconds(0)));  // full at 2 s
  EXPECT_EQ(store.Sweep(At(milliseconds(500))), 0u);
  EXPECT_EQ(store.Sweep(At(seconds(1))), 1u);
  EXPECT_EQ(store.GetStats().keys, 1u);
  EXPECT_EQ(store.Sweep(At(seconds(2))), 1u);
  EXPECT_EQ(store.GetStats().keys, 0u);
}

// Threads share one fake clock; each call reads it and advances it, so calls
// reach the lock out of time order. The bucket must never hand out more than
// burst + rate * (last time - first time).
TEST(LocalBucketStoreTest, ConcurrentTakesNeverExceedTheBudget) {
  LocalBucketStore store;
  const BucketSpec spec{1000, 50};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  constexpr int64_t kStepNs = 10000;  // 10 us per call: demand far above the rate
  std::atomic<int64_t> clock_ns{0};
  std::atomic<int64_t> last_ns{0};
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t now = clock_ns.fetch_add(kStepNs);
        int64_t seen = last_ns.load();
        while (now > seen && !last_ns.compare_exchange_weak(seen, now)) {
        }
        if (store.Take("hot", spec, At(nanoseconds(now))).allowed) ++admitted;
        // Other keys in other shards, contending only with themselves.
        store.Take("cold-" + std::to_string(t), spec, At(nanoseconds(now)));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double budget = spec.burst + spec.rate_per_second * (last_ns.load() * 1e-9);
  EXPECT_LE(admitted.load(), budget + 1e-6);
  // Demand always exceeds supply, so the bucket never sits full: nearly all
  // of the budget is handed out.
  EXPECT_GE(admitted.load(), 0.99 * budget);
}

TEST(LocalBucketStoreTest, ConcurrentEvictionKeepsTheBound) {
  LocalBucketStore store(LocalBucketStoreOptions{64, 16});
  std::vector<std::thread> threads;
  std::atomic<bool> over{false};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        store.Take(std::to_string(t) + ":" + std::to_string(i), BucketSpec{1, 1},
                   At(milliseconds(i)));
        if (store.GetStats().keys > 64) over = true;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(over.load());
}

}  // namespace
}  // namespace inferd::limits
