#include "core/routing/traffic_split.h"

#include <random>
#include <string>

#include "core/sha256.h"

namespace inferd {

uint32_t StickyBucket(std::string_view salt, std::string_view key) {
  // A separator that cannot occur in salts (route names) keeps ("ab","c")
  // and ("a","bc") apart.
  thread_local std::string text;  // keeps its capacity: no allocation per request
  text.clear();
  text.append(salt);
  text.push_back('\x1f');
  text.append(key);
  // Sha256Raw fails only when libcrypto does; then every key shares bucket 0.
  const StatusOr<Sha256Bytes> digest = Sha256Raw(text);
  if (!digest.ok()) return 0;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = value << 8 | (*digest)[i];
  return static_cast<uint32_t>(value % kTrafficBuckets);
}

uint32_t RandomBucket() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return static_cast<uint32_t>(generator() % kTrafficBuckets);
}

size_t VariantForBucket(std::span<const uint32_t> weights, uint32_t bucket) {
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  uint64_t cumulative = 0;
  size_t last_with_weight = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0) continue;
    last_with_weight = i;
    cumulative += weights[i];
    const uint64_t end = cumulative * kTrafficBuckets / total;
    if (bucket < end) return i;
  }
  return last_with_weight;
}

}  // namespace inferd
