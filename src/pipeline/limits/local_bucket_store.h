// LocalBucketStore: token buckets in this process's memory, for one replica
// (or for limits that need not be shared between replicas).
//
// Each bucket is a classic token bucket with fractional tokens: the token
// count at the last update plus rate * elapsed, capped at the burst. Keys are
// spread over shards, each a hash map (keyed SipHash, so clients can't pick
// colliding keys) behind its own mutex, so different keys rarely contend.
//
// Memory bound: at most `max_keys` buckets, split evenly across the shards.
// A bucket that has refilled to its burst behaves exactly like a missing one
// (a new key starts full), so dropping it loses nothing (unless the key's spec
// later grows its burst: the kept bucket would have started lower). When a
// shard is at its share, inserting a key first drops every full bucket in that
// shard. Only if that frees less than 1/16 of the share (nearly every client
// in it is still draining) does it also drop the buckets that would be full
// soonest, down to 15/16 of the share: those clients get a full bucket early,
// the least a lossy eviction can give away, and the sweep's cost stays
// amortized O(1) per insert. Refusing new keys instead would let one client
// with many keys lock everyone else out. GetStats() counts both kinds, so
// lossy evictions can be alerted on.
//
// Time comes from the caller (tests pass a fake clock). A call whose `now` is
// older than the bucket's last update (threads racing to the lock) refills
// nothing, so the tokens handed out never exceed burst + rate * (latest now -
// first now).
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/limits/bucket_store.h"
#include "pipeline/limits/keyed_hash.h"

namespace inferd::limits {

struct LocalBucketStoreOptions {
  size_t max_keys = 100000;  // at least 1
  size_t shards = 16;        // at least 1; fewer when max_keys is smaller
};

class LocalBucketStore final : public BucketStore {
 public:
  struct Stats {
    size_t keys = 0;
    uint64_t evicted_full = 0;   // lossless: the bucket had refilled
    uint64_t evicted_lossy = 0;  // the shard was full of draining buckets
  };

  explicit LocalBucketStore(LocalBucketStoreOptions options = {});
  ~LocalBucketStore() override;
  LocalBucketStore(const LocalBucketStore&) = delete;
  LocalBucketStore& operator=(const LocalBucketStore&) = delete;

  BucketDecision Take(std::string_view bucket_key, const BucketSpec& spec,
                      LimitClock::time_point now) override;

  // Drops every bucket that is full at `now` and returns how many; lossless.
  // Optional (inserts evict on their own); a periodic call returns memory
  // after a burst of one-off keys.
  size_t Sweep(LimitClock::time_point now);

  Stats GetStats() const;
  size_t max_keys() const { return shard_count_ * keys_per_shard_; }

 private:
  struct Shard;

  Shard& ShardFor(std::string_view key);

  KeyedStringHash hash_;
  size_t shard_count_;
  size_t keys_per_shard_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace inferd::limits
