// Which variant of a route serves a request. The request falls in one of
// 10,000 buckets: hash(salt, key) mod 10,000 for a sticky key (SHA-256, so
// every replica and every restart agrees, with no shared state), or a
// random bucket without one. The variants own consecutive bucket ranges in
// the route's order, each sized by its weight (range ends rounded down).
// Moving weight from one variant to its neighbour only moves that
// boundary, so only users in between change variant, and only toward the
// variant that gained weight.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace inferd {

inline constexpr uint32_t kTrafficBuckets = 10'000;

// The sticky bucket of `key` under `salt`.
uint32_t StickyBucket(std::string_view salt, std::string_view key);
// A uniformly random bucket (thread-local generator).
uint32_t RandomBucket();

// The index of the variant owning `bucket` under `weights` (at least one
// positive); a bucket past every range (not possible with a positive total)
// goes to the last variant with weight.
size_t VariantForBucket(std::span<const uint32_t> weights, uint32_t bucket);

}  // namespace inferd
