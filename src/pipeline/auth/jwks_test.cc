#include "pipeline/auth/jwks.h"

#include <gtest/gtest.h>

#include <string>

#include "pipeline/auth/base64url.h"
#include "pipeline/auth/jwt_test_util.h"

namespace inferd::auth {
namespace {

using test_util::EcPublicJwk;
using test_util::RsaPublicJwk;

class JwksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = test_util::GenerateRsaKey().release();
    ec_ = test_util::GenerateEcP256Key().release();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(ec_);
  }
  static std::string Set(const std::string& keys) { return R"({"keys":[)" + keys + "]}"; }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* ec_;
};
EVP_PKEY* JwksTest::rsa_ = nullptr;
EVP_PKEY* JwksTest::ec_ = nullptr;

TEST_F(JwksTest, ParsesRsaAndEcKeys) {
  auto set = JwkSet::Parse(Set(RsaPublicJwk(rsa_, "r1", R"(,"alg":"RS256","use":"sig")") + "," +
                               EcPublicJwk(ec_, "e1")));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->keys.size(), 2u);
  EXPECT_EQ(set->keys[0].kind, JwkKind::kRsa);
  EXPECT_EQ(set->keys[0].kid, "r1");
  EXPECT_EQ(set->keys[0].alg, "RS256");
  EXPECT_EQ(EVP_PKEY_eq(set->keys[0].key.get(), rsa_), 1);
  EXPECT_EQ(set->keys[1].kind, JwkKind::kEcP256);
  EXPECT_EQ(set->keys[1].kid, "e1");
  EXPECT_EQ(set->keys[1].alg, "");
  EXPECT_EQ(EVP_PKEY_eq(set->keys[1].key.get(), ec_), 1);
  EXPECT_EQ(set->skipped_unsupported, 0u);
  EXPECT_EQ(set->skipped_not_for_signing, 0u);
}

TEST_F(JwksTest, EmptySetIsValid) {
  auto set = JwkSet::Parse(R"({"keys":[]})");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->keys.empty());
}

TEST_F(JwksTest, SkipsAndCountsUnsupportedKeys) {
  auto set = JwkSet::Parse(Set(std::string(R"({"kty":"oct","k":"c2VjcmV0"},)") +
                               R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"},)" +
                               R"({"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"},)" +
                               RsaPublicJwk(rsa_, "enc", R"(,"use":"enc")") + "," +
                               EcPublicJwk(ec_, "e1")));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid, "e1");
  EXPECT_EQ(set->skipped_unsupported, 3u);
  EXPECT_EQ(set->skipped_not_for_signing, 1u);
}

void ExpectRefused(const std::string& json, const std::string& fragment) {
  auto set = JwkSet::Parse(json);
  ASSERT_FALSE(set.ok()) << json;
  EXPECT_EQ(set.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(set.status().message().find(fragment), std::string::npos) << set.status().message();
}

TEST_F(JwksTest, RefusesDocumentsThatAreNotAKeySet) {
  ExpectRefused("", "not a JSON object");
  ExpectRefused("[]", "not a JSON object");
  ExpectRefused(R"({"keys":{}})", "no \"keys\" array");
  ExpectRefused(R"({"other":[]})", "no \"keys\" array");
  ExpectRefused(R"({"keys":[],"keys":[]})", "repeats a member");
  ExpectRefused(std::string(100, '[') + std::string(100, ']'), "nests too deep");
}

TEST_F(JwksTest, NamesTheIndexOfAMalformedKey) {
  const std::string good = RsaPublicJwk(rsa_, "r1");
  ExpectRefused(Set(good + R"(,{"kty":"RSA","e":"AQAB"})"), "JWKS key 1: missing string \"n\"");
  ExpectRefused(Set(good + R"(,{"kty":"RSA","n":"a+b","e":"AQAB"})"),
                "JWKS key 1: \"n\" is not base64url");
  ExpectRefused(Set(R"("text")"), "JWKS key 0: not a JSON object");
  ExpectRefused(Set(R"({"n":"AQAB"})"), "JWKS key 0: missing string \"kty\"");
  ExpectRefused(Set(RsaPublicJwk(rsa_, "", R"(,"kid":7)")), "JWKS key 0: \"kid\" is not a string");
  ExpectRefused(Set(R"({"kty":"EC","x":"AA","y":"AA"})"), "JWKS key 0: missing string \"crv\"");
  ExpectRefused(Set(R"({"kty":"RSA","kty":"EC"})"), "JWKS key 0: duplicate member names");
}

TEST_F(JwksTest, RefusesWeakOrBrokenRsaKeys) {
  EvpPkeyPtr small = test_util::GenerateRsaKey(1024);
  ExpectRefused(Set(RsaPublicJwk(small.get(), "s")), "shorter than 2048 bits");
  std::string n = test_util::RsaModulus(rsa_);
  n.back() = static_cast<char>(n.back() & ~1);  // even modulus
  ExpectRefused(Set(R"({"kty":"RSA","n":")" + Base64UrlEncode(n) + R"(","e":"AQAB"})"),
                "modulus is even");
  const std::string n64 = Base64UrlEncode(test_util::RsaModulus(rsa_));
  ExpectRefused(Set(R"({"kty":"RSA","n":")" + n64 + R"(","e":"AQ"})"), "bad RSA exponent");
  ExpectRefused(Set(R"({"kty":"RSA","n":")" + n64 + R"(","e":"AQAA"})"), "bad RSA exponent");
}

TEST_F(JwksTest, RefusesBadEcPoints) {
  const std::string x32 = Base64UrlEncode(std::string(32, '\x01'));
  const std::string x31 = Base64UrlEncode(std::string(31, '\x01'));
  ExpectRefused(Set(R"({"kty":"EC","crv":"P-256","x":")" + x31 + R"(","y":")" + x32 + "\"}"),
                "coordinates must be 32 bytes");
  ExpectRefused(Set(R"({"kty":"EC","crv":"P-256","x":")" + x32 + R"(","y":")" + x32 + "\"}"),
                "JWKS key 0: EC point is not on P-256");
}

TEST(HmacKeyTest, NeedsAtLeast32Bytes) {
  auto short_key = HmacKey::FromSecret(std::string(31, 'k'));
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.status().code(), StatusCode::kInvalidArgument);
  auto key = HmacKey::FromSecret(std::string(32, 'k'));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->bytes(), std::string(32, 'k'));
  HmacKey moved = std::move(*key);
  EXPECT_EQ(moved.bytes(), std::string(32, 'k'));
  HmacKey copy = moved;
  EXPECT_EQ(copy.bytes(), moved.bytes());
}

}  // namespace
}  // namespace inferd::auth
