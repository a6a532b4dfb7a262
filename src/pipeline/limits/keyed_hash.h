// A keyed string hash (SipHash-2-4) for hash maps whose keys come from
// clients (API keys, addresses, tenant names). An unkeyed hash such as
// std::hash lets a client pick keys that all land in one hash bucket and turn
// every lookup into a linear scan under a lock; with a secret random key per
// map that is not practical.
//
// KeyedStringHash is a value type: copies share the key. Thread-safety:
// immutable after construction, safe to use from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace inferd::limits {

struct SipHashKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

// SipHash-2-4 of `data` under `key` (Aumasson and Bernstein, 2012); the key's
// 16 bytes are k0 then k1, each little-endian.
uint64_t SipHash24(const SipHashKey& key, std::string_view data);

// A fresh key from std::random_device.
SipHashKey RandomSipHashKey();

// Hash functor for unordered containers of std::string; transparent, so
// lookups by std::string_view don't build a std::string.
class KeyedStringHash {
 public:
  using is_transparent = void;

  KeyedStringHash() : key_(RandomSipHashKey()) {}
  explicit KeyedStringHash(SipHashKey key) : key_(key) {}

  size_t operator()(std::string_view s) const { return static_cast<size_t>(SipHash24(key_, s)); }

 private:
  SipHashKey key_;
};

}  // namespace inferd::limits
