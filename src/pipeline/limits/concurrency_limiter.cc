#include "pipeline/limits/concurrency_limiter.h"

#include <cassert>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace inferd::limits {

struct ConcurrencyLimiter::Entry {
  int in_flight = 0;
  const std::string* key = nullptr;  // the map's own key, for Release
};

struct ConcurrencyLimiter::Shard {
  std::mutex mu;
  // Nodes of an unordered_map don't move on rehash, so permits can point at
  // their Entry.
  std::unordered_map<std::string, Entry, KeyedStringHash, std::equal_to<>> counts;
};

ConcurrencyLimiter::ConcurrencyLimiter() : shards_(std::make_unique<Shard[]>(kShards)) {}

ConcurrencyLimiter::~ConcurrencyLimiter() {
  // A permit outliving its limiter would write into freed memory.
  for (size_t i = 0; i < kShards; ++i) assert(shards_[i].counts.empty());
}

ConcurrencyLimiter::Shard& ConcurrencyLimiter::ShardFor(std::string_view key) const {
  return shards_[(hash_(key) >> 32) % kShards];
}

std::optional<ConcurrencyLimiter::Permit> ConcurrencyLimiter::TryAcquire(std::string_view key,
                                                                         int limit) {
  if (limit <= 0) return std::nullopt;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.counts.find(key);
  if (it == shard.counts.end()) {
    it = shard.counts.emplace(std::string(key), Entry{}).first;
    it->second.key = &it->first;
  } else if (it->second.in_flight >= limit) {
    return std::nullopt;
  }
  ++it->second.in_flight;
  return Permit(&shard, &it->second);
}

int ConcurrencyLimiter::InFlight(std::string_view key) const {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.counts.find(key);
  return it == shard.counts.end() ? 0 : it->second.in_flight;
}

size_t ConcurrencyLimiter::keys() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += shards_[i].counts.size();
  }
  return n;
}

ConcurrencyLimiter::Permit::Permit(Permit&& other) noexcept
    : shard_(std::exchange(other.shard_, nullptr)), entry_(std::exchange(other.entry_, nullptr)) {}

ConcurrencyLimiter::Permit& ConcurrencyLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    Release();
    shard_ = std::exchange(other.shard_, nullptr);
    entry_ = std::exchange(other.entry_, nullptr);
  }
  return *this;
}

void ConcurrencyLimiter::Permit::Release() {
  if (entry_ == nullptr) return;
  Shard* shard = std::exchange(shard_, nullptr);
  Entry* entry = std::exchange(entry_, nullptr);
  std::lock_guard lock(shard->mu);
  if (--entry->in_flight == 0) shard->counts.erase(shard->counts.find(*entry->key));
}

std::string_view ConcurrencyLimiter::Permit::key() const {
  return entry_ == nullptr ? std::string_view() : std::string_view(*entry_->key);
}

}  // namespace inferd::limits
