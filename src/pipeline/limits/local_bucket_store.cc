#include "pipeline/limits/local_bucket_store.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace inferd::limits {
namespace {

using std::chrono::nanoseconds;

// Sums of fractional refills (ten times 0.1) can land a hair under a whole
// token; counting that as a token keeps exact rates from drifting a tick late.
constexpr double kTokenEpsilon = 1e-9;

// What a request under an invalid spec is told: the spec is a config error,
// so fail closed, but don't invite a retry storm.
constexpr nanoseconds kInvalidSpecRetryAfter = std::chrono::seconds(60);

// About 31 years; keeps tiny rates with huge bursts inside int64 nanoseconds.
constexpr double kMaxDurationNs = 1e18;

// `seconds` as nanoseconds, rounded up, clamped to [0, kMaxDurationNs].
nanoseconds CeilNanos(double seconds) {
  const double ns = std::ceil(seconds * 1e9);
  if (!(ns > 0)) return nanoseconds(0);  // also NaN
  if (ns >= kMaxDurationNs) return nanoseconds(static_cast<int64_t>(kMaxDurationNs));
  return nanoseconds(static_cast<int64_t>(ns));
}

struct Bucket {
  double tokens = 0;               // as of `updated`
  LimitClock::time_point updated;  // the latest `now` that touched it
  LimitClock::time_point full_at;  // from here on it equals a missing bucket
};

using BucketMap = std::unordered_map<std::string, Bucket, KeyedStringHash, std::equal_to<>>;

}  // namespace

struct LocalBucketStore::Shard {
  std::mutex mu;
  BucketMap buckets;  // its own random hash key
  uint64_t evicted_full = 0;
  uint64_t evicted_lossy = 0;

  size_t EraseFull(LimitClock::time_point now) {
    const size_t n = std::erase_if(
        buckets, [now](const BucketMap::value_type& e) { return e.second.full_at <= now; });
    evicted_full += n;
    return n;
  }

  // Frees at least one slot in a shard that is at `cap`; see the header.
  void MakeRoom(size_t cap, LimitClock::time_point now) {
    EraseFull(now);
    const size_t slack = std::max<size_t>(1, cap / 16);
    const size_t target = cap - std::min(cap, slack);
    if (buckets.size() <= target) return;
    std::vector<BucketMap::iterator> order;
    order.reserve(buckets.size());
    for (auto it = buckets.begin(); it != buckets.end(); ++it) order.push_back(it);
    const size_t excess = buckets.size() - target;
    std::nth_element(order.begin(), order.begin() + excess, order.end(),
                     [](const BucketMap::iterator& a, const BucketMap::iterator& b) {
                       return a->second.full_at < b->second.full_at;
                     });
    for (size_t i = 0; i < excess; ++i) buckets.erase(order[i]);
    evicted_lossy += excess;
  }
};

LocalBucketStore::LocalBucketStore(LocalBucketStoreOptions options) {
  const size_t max_keys = std::max<size_t>(1, options.max_keys);
  shard_count_ = std::clamp<size_t>(options.shards, 1, max_keys);
  keys_per_shard_ = max_keys / shard_count_;
  shards_ = std::make_unique<Shard[]>(shard_count_);
}

LocalBucketStore::~LocalBucketStore() = default;

LocalBucketStore::Shard& LocalBucketStore::ShardFor(std::string_view key) {
  // The high bits, so the shard doesn't correlate with the slot in the map.
  return shards_[(hash_(key) >> 32) % shard_count_];
}

BucketDecision LocalBucketStore::Take(std::string_view bucket_key, const BucketSpec& spec,
                                      LimitClock::time_point now) {
  BucketDecision d;
  if (!ValidateBucketSpec(spec).ok()) {
    d.retry_after = d.reset_after = kInvalidSpecRetryAfter;
    return d;
  }
  const double rate = spec.rate_per_second;
  Shard& shard = ShardFor(bucket_key);
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(bucket_key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= keys_per_shard_) shard.MakeRoom(keys_per_shard_, now);
    it = shard.buckets.emplace(std::string(bucket_key), Bucket{spec.burst, now, now}).first;
  }
  Bucket& b = it->second;
  if (now > b.updated) {
    b.tokens += std::chrono::duration<double>(now - b.updated).count() * rate;
    b.updated = now;
  }
  b.tokens = std::min(b.tokens, spec.burst);  // also when the spec shrank

  if (b.tokens >= 1 - kTokenEpsilon) {
    d.allowed = true;
    b.tokens = std::max(0.0, b.tokens - 1);
  }
  d.remaining = std::floor(b.tokens + kTokenEpsilon);
  // Durations count from the caller's `now`, which may trail b.updated.
  const nanoseconds lag = b.updated - now;
  const nanoseconds refill = CeilNanos((spec.burst - b.tokens) / rate);
  if (!d.allowed) {
    d.retry_after = lag + std::max(nanoseconds(1), CeilNanos((1 - b.tokens) / rate));
  }
  d.reset_after = lag + refill;
  b.full_at = b.updated + refill;
  return d;
}

size_t LocalBucketStore::Sweep(LimitClock::time_point now) {
  size_t erased = 0;
  for (size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mu);
    erased += shards_[i].EraseFull(now);
  }
  return erased;
}

LocalBucketStore::Stats LocalBucketStore::GetStats() const {
  Stats stats;
  for (size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mu);
    stats.keys += shards_[i].buckets.size();
    stats.evicted_full += shards_[i].evicted_full;
    stats.evicted_lossy += shards_[i].evicted_lossy;
  }
  return stats;
}

}  // namespace inferd::limits
