#include "pipeline/limits/concurrency_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace inferd::limits {
namespace {

TEST(ConcurrencyLimiterTest, AdmitsUpToTheLimitAndFreesOnDestruction) {
  ConcurrencyLimiter limiter;
  std::vector<ConcurrencyLimiter::Permit> held;
  for (int i = 0; i < 3; ++i) {
    auto permit = limiter.TryAcquire("k", 3);
    ASSERT_TRUE(permit.has_value()) << i;
    EXPECT_EQ(permit->key(), "k");
    held.push_back(std::move(*permit));
  }
  EXPECT_EQ(limiter.InFlight("k"), 3);
  EXPECT_FALSE(limiter.TryAcquire("k", 3).has_value());
  EXPECT_TRUE(limiter.TryAcquire("k", 4).has_value());  // a caller's own, larger limit
  EXPECT_EQ(limiter.InFlight("k"), 3);                  // ...released at once
  held.pop_back();
  EXPECT_EQ(limiter.InFlight("k"), 2);
  EXPECT_TRUE(limiter.TryAcquire("k", 3).has_value());
  held.clear();
  EXPECT_EQ(limiter.InFlight("k"), 0);
  EXPECT_EQ(limiter.keys(), 0u);  // the entry went with its last permit
}

TEST(ConcurrencyLimiterTest, KeysAreIndependent) {
  ConcurrencyLimiter limiter;
  auto a = limiter.TryAcquire("a", 1);
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(limiter.TryAcquire("a", 1).has_value());
  auto b = limiter.TryAcquire("b", 1);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(limiter.keys(), 2u);
}

TEST(ConcurrencyLimiterTest, NonPositiveLimitAdmitsNothing) {
  ConcurrencyLimiter limiter;
  EXPECT_FALSE(limiter.TryAcquire("k", 0).has_value());
  EXPECT_FALSE(limiter.TryAcquire("k", -1).has_value());
  EXPECT_EQ(limiter.keys(), 0u);
}

TEST(ConcurrencyLimiterTest, MovedPermitsReleaseOnce) {
  ConcurrencyLimiter limiter;
  auto first = limiter.TryAcquire("k", 2);
  ASSERT_TRUE(first.has_value());
  ConcurrencyLimiter::Permit moved(std::move(*first));
  EXPECT_EQ(first->key(), "");
  EXPECT_EQ(moved.key(), "k");
  first.reset();  // the moved-from permit gives nothing back
  EXPECT_EQ(limiter.InFlight("k"), 1);

  auto other = limiter.TryAcquire("j", 1);
  ASSERT_TRUE(other.has_value());
  moved = std::move(*other);  // releases "k", takes over "j"
  EXPECT_EQ(limiter.InFlight("k"), 0);
  EXPECT_EQ(limiter.InFlight("j"), 1);
  EXPECT_EQ(moved.key(), "j");
  other.reset();
  EXPECT_EQ(limiter.InFlight("j"), 1);

  moved.Release();
  moved.Release();  // idempotent
  EXPECT_EQ(limiter.InFlight("j"), 0);
  EXPECT_EQ(limiter.keys(), 0u);
}

TEST(ConcurrencyLimiterTest, ConcurrentHoldersNeverExceedTheLimit) {
  ConcurrencyLimiter limiter;
  constexpr int kLimit = 3;
  std::atomic<int> holding{0};
  std::atomic<int> max_holding{0};
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        auto permit = limiter.TryAcquire("shared", kLimit);
        (void)limiter.TryAcquire("own-" + std::to_string(i % 64), 1);  // churn other entries
        if (!permit) continue;
        ++granted;
        const int now = ++holding;
        int seen = max_holding.load();
        while (now > seen && !max_holding.compare_exchange_weak(seen, now)) {
        }
        --holding;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(max_holding.load(), kLimit);
  EXPECT_GT(granted.load(), 0);
  EXPECT_EQ(limiter.InFlight("shared"), 0);
  EXPECT_EQ(limiter.keys(), 0u);
}

}  // namespace
}  // namespace inferd::limits
