// ConcurrencyLimiter: caps how many requests per key are in flight at once
// (e.g. per tenant or per model). TryAcquire hands out a Permit while the
// key's count is below the limit; the Permit gives its slot back when it is
// destroyed or Release()d, so an early return can't leak a slot.
//
// The limiter owns one counter per key with permits outstanding and drops it
// when the count returns to 0, so its memory is bounded by the requests in
// flight. Counters are sharded by a keyed hash, each shard behind a mutex.
//
// Ownership: a Permit points into its limiter, which must outlive it.
// Thread-safety: all methods are thread-safe; a Permit may be released on a
// thread other than the one that acquired it, but one Permit object must not
// be used from two threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pipeline/limits/keyed_hash.h"

namespace inferd::limits {

class ConcurrencyLimiter {
 private:
  struct Shard;
  struct Entry;

 public:
  // One slot of one key; move-only.
  class Permit {
   public:
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { Release(); }

    // Gives the slot back now; later calls (and the destructor) do nothing.
    void Release();

    // The key; empty once released or moved from.
    std::string_view key() const;

   private:
    friend class ConcurrencyLimiter;
    Permit(Shard* shard, Entry* entry) : shard_(shard), entry_(entry) {}

    Shard* shard_ = nullptr;
    Entry* entry_ = nullptr;  // the key's counter; stays put while counted
  };

  ConcurrencyLimiter();
  ~ConcurrencyLimiter();
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // A permit when fewer than `limit` permits of `key` are outstanding; else
  // nullopt. A limit of 0 or less admits nothing. Callers may pass different
  // limits for one key; each call compares against its own.
  [[nodiscard]] std::optional<Permit> TryAcquire(std::string_view key, int limit);

  // Permits of `key` outstanding now.
  int InFlight(std::string_view key) const;
  // Keys with permits outstanding now.
  size_t keys() const;

 private:
  static constexpr size_t kShards = 16;

  Shard& ShardFor(std::string_view key) const;

  KeyedStringHash hash_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace inferd::limits
