#include "pipeline/limits/keyed_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace inferd::limits {
namespace {

// Key 00 01 .. 0f, message 00 01 .. (n-1): the reference vectors.
uint64_t ReferenceHash(size_t n) {
  std::string message;
  for (size_t i = 0; i < n; ++i) message.push_back(static_cast<char>(i));
  return SipHash24(SipHashKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL}, message);
}

TEST(KeyedHashTest, MatchesSipHash24ReferenceVectors) {
  EXPECT_EQ(ReferenceHash(0), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(ReferenceHash(8), 0x93f5f5799a932462ULL);   // one full block
  EXPECT_EQ(ReferenceHash(15), 0xa129ca6149be45e5ULL);  // block plus a tail
  EXPECT_EQ(ReferenceHash(63), 0x958a324ceb064572ULL);  // several blocks
}

TEST(KeyedHashTest, DependsOnTheKey) {
  KeyedStringHash a(SipHashKey{1, 2});
  KeyedStringHash b(SipHashKey{1, 3});
  EXPECT_EQ(a("tenant:acme"), a(std::string("tenant:acme")));
  EXPECT_NE(a("tenant:acme"), b("tenant:acme"));
  EXPECT_NE(a("tenant:acme"), a("tenant:acmf"));
}

TEST(KeyedHashTest, RandomKeysDiffer) {
  const SipHashKey x = RandomSipHashKey();
  const SipHashKey y = RandomSipHashKey();
  EXPECT_FALSE(x.k0 == y.k0 && x.k1 == y.k1);
}

}  // namespace
}  // namespace inferd::limits
