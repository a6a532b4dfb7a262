#include "pipeline/auth/jwt_verifier.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

#include "pipeline/auth/base64url.h"
#include "pipeline/auth/jwt_test_util.h"

namespace inferd::auth {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::system_clock;
namespace tu = test_util;

constexpr int64_t kNow = 1'700'000'000;
const Clock::time_point kNowTp{seconds(kNow)};
const std::string kSecret = "0123456789abcdef0123456789abcdef-hs256";

// Claims as raw JSON values by name, so each test can change one.
using ClaimMap = std::map<std::string, std::string>;

ClaimMap GoodClaims() {
  return {{"iss", R"("https://issuer.example")"},
          {"aud", R"("inferd")"},
          {"sub", R"("alice")"},
          {"exp", std::to_string(kNow + 300)},
          {"iat", std::to_string(kNow - 10)},
          {"roles", R"(["reader","admin"])"},
          {"models", R"("iris resnet")"}};
}

std::string ToJson(const ClaimMap& claims) {
  std::string json = "{";
  for (const auto& [name, value] : claims) {
    if (json.size() > 1) json += ",";
    json += "\"" + name + "\":" + value;
  }
  return json + "}";
}

std::string HeaderJson(std::string_view alg, std::string_view kid = "") {
  std::string json = R"({"alg":")" + std::string(alg) + R"(","typ":"JWT")";
  if (!kid.empty()) json += R"(,"kid":")" + std::string(kid) + "\"";
  return json + "}";
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = tu::GenerateRsaKey().release();
    rsa2_ = tu::GenerateRsaKey().release();
    ec_ = tu::GenerateEcP256Key().release();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(rsa2_);
    EVP_PKEY_free(ec_);
  }

  static std::shared_ptr<const JwkSet> Jwks(const std::string& keys) {
    auto set = JwkSet::Parse(R"({"keys":[)" + keys + "]}");
    EXPECT_TRUE(set.ok()) << set.status().ToString();
    if (!set.ok()) return nullptr;
    return std::make_shared<const JwkSet>(std::move(*set));
  }
  static std::shared_ptr<const JwkSet> DefaultJwks() {
    return Jwks(tu::RsaPublicJwk(rsa_, "rsa1") + "," + tu::EcPublicJwk(ec_, "ec1"));
  }
  static JwtPolicy Policy() {
    JwtPolicy policy;
    policy.issuer = "https://issuer.example";
    policy.audiences = {"inferd", "inferd-admin"};
    return policy;
  }
  static std::unique_ptr<JwtVerifier> Make(bool with_secret, std::shared_ptr<const JwkSet> jwks,
                                           JwtPolicy policy = Policy()) {
    std::optional<HmacKey> hmac;
    if (with_secret) hmac = HmacKey::FromSecret(kSecret).value();
    auto verifier = JwtVerifier::Create(std::move(policy), std::move(hmac), std::move(jwks));
    EXPECT_TRUE(verifier.ok()) << verifier.status().ToString();
    return verifier.ok() ? std::move(verifier).value() : nullptr;
  }

  static std::string Rs256(const ClaimMap& claims, std::string_view kid = "rsa1",
                           EVP_PKEY* key = nullptr) {
    EVP_PKEY* k = key ? key : rsa_;
    return tu::MakeToken(HeaderJson("RS256", kid), ToJson(claims),
                         [k](std::string_view in) { return tu::Rs256Sign(k, in); });
  }
  static std::string Es256(const ClaimMap& claims, std::string_view kid = "ec1") {
    return tu::MakeToken(HeaderJson("ES256", kid), ToJson(claims),
                         [](std::string_view in) { return tu::Es256Sign(ec_, in); });
  }
  static std::string Hs256(const ClaimMap& claims, std::string_view header = HeaderJson("HS256"),
                           std::string secret = kSecret) {
    return tu::MakeToken(header, ToJson(claims),
                         [secret](std::string_view in) { return tu::Hs256Sign(secret, in); });
  }

  // Expects `token` to be refused for `cause` with exactly `reason`.
  void ExpectRefused(const JwtVerifier& verifier, const std::string& token, JwtError cause,
                     std::string_view reason, Clock::time_point now = kNowTp) {
    JwtError error = JwtError::kNone;
    auto claims = verifier.Verify(token, now, &error);
    ASSERT_FALSE(claims.ok()) << "accepted: " << token;
    EXPECT_EQ(claims.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(claims.status().message(), reason);
    EXPECT_EQ(error, cause) << claims.status().message();
  }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* rsa2_;
  static EVP_PKEY* ec_;
};
EVP_PKEY* JwtVerifierTest::rsa_ = nullptr;
EVP_PKEY* JwtVerifierTest::rsa2_ = nullptr;
EVP_PKEY* JwtVerifierTest::ec_ = nullptr;

TEST_F(JwtVerifierTest, AcceptsRs256AndReturnsClaims) {
  auto verifier = Make(false, DefaultJwks());
  JwtError error = JwtError::kBadSignature;
  auto claims = verifier->Verify(Rs256(GoodClaims()), kNowTp, &error);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(error, JwtError::kNone);
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->issuer, "https://issuer.example");
  EXPECT_EQ(claims->audience, "inferd");
  EXPECT_EQ(claims->expiry, Clock::time_point(seconds(kNow + 300)));
  EXPECT_EQ(claims->roles, (std::vector<std::string>{"reader", "admin"}));
  EXPECT_EQ(claims->models, (std::vector<std::string>{"iris", "resnet"}));
  EXPECT_EQ(claims->kid, "rsa1");
  EXPECT_EQ(claims->alg, "RS256");
}

TEST_F(JwtVerifierTest, AcceptsEs256) {
  auto verifier = Make(false, DefaultJwks());
  auto claims = verifier->Verify(Es256(GoodClaims()), kNowTp);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(claims->alg, "ES256");
  EXPECT_EQ(claims->kid, "ec1");
}

TEST_F(JwtVerifierTest, AcceptsHs256WithTheConfiguredSecret) {
  auto verifier = Make(true, nullptr);
  auto claims = verifier->Verify(Hs256(GoodClaims()), kNowTp);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(claims->alg, "HS256");
  EXPECT_EQ(claims->subject, "alice");
  ExpectRefused(*verifier, Hs256(GoodClaims(), HeaderJson("HS256"), kSecret + "x"),
                JwtError::kBadSignature, "bad signature");
}

TEST_F(JwtVerifierTest, ExpiryHonoursLeeway) {
  auto verifier = Make(false, DefaultJwks());
  ClaimMap claims = GoodClaims();
  claims["exp"] = std::to_string(kNow - 30);  // within the 60 s leeway
  EXPECT_TRUE(verifier->Verify(Rs256(claims), kNowTp).ok());
  claims["exp"] = std::to_string(kNow - 60);
  ExpectRefused(*verifier, Rs256(claims), JwtError::kExpired, "token expired");
  claims["exp"] = std::to_string(kNow - 3600);
  ExpectRefused(*verifier, Rs256(claims), JwtError::kExpired, "token expired");
  claims["exp"] = std::to_string(kNow + 100) + ".5";  // NumericDate may be fractional
  auto ok = verifier->Verify(Rs256(claims), kNowTp);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->expiry, Clock::time_point(std::chrono::milliseconds((kNow + 100) * 1000 + 500)));
}

TEST_F(JwtVerifierTest, ZeroLeewayExpiresAtExp) {
  JwtPolicy policy = Policy();
  policy.leeway = seconds(0);
  auto verifier = Make(false, DefaultJwks(), policy);
  ClaimMap claims = GoodClaims();
  claims["exp"] = std::to_string(kNow + 1);
  EXPECT_TRUE(verifier->Verify(Rs256(claims), kNowTp).ok());
  claims["exp"] = std::to_string(kNow);
  ExpectRefused(*verifier, Rs256(claims), JwtError::kExpired, "token expired");
}

TEST_F(JwtVerifierTest, NotBeforeAndIssuedAtHonourLeeway) {
  auto verifier = Make(false, DefaultJwks());
  ClaimMap claims = GoodClaims();
  claims["nbf"] = std::to_string(kNow + 30);
  EXPECT_TRUE(verifier->Verify(Rs256(claims), kNowTp).ok());
  claims["nbf"] = std::to_string(kNow + 120);
  ExpectRefused(*verifier, Rs256(claims), JwtError::kNotYetValid, "token not yet valid");
  claims.erase("nbf");
  claims["iat"] = std::to_string(kNow + 120);
  ExpectRefused(*verifier, Rs256(claims), JwtError::kNotYetValid, "token issued in the future");
}

TEST_F(JwtVerifierTest, RequiresANumericExp) {
  auto verifier = Make(false, DefaultJwks());
  ClaimMap claims = GoodClaims();
  claims.erase("exp");
  ExpectRefused(*verifier, Rs256(claims), JwtError::kBadClaim, "missing exp claim");
  claims["exp"] = "\"" + std::to_string(kNow + 300) + "\"";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kBadClaim, "invalid exp claim");
  claims["exp"] = std::to_string(kNow + 300);
  claims["nbf"] = "null";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kBadClaim, "invalid nbf claim");
}

TEST_F(JwtVerifierTest, ChecksIssuer) {
  auto verifier = Make(false, DefaultJwks());
  ClaimMap claims = GoodClaims();
  claims["iss"] = R"("https://evil.example")";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kWrongIssuer, "wrong issuer");
  claims["iss"] = R"(["https://issuer.example"])";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kWrongIssuer, "wrong issuer");
  claims.erase("iss");
  ExpectRefused(*verifier, Rs256(claims), JwtError::kWrongIssuer, "wrong issuer");
}

TEST_F(JwtVerifierTest, ChecksAudienceStringOrArray) {
  auto verifier = Make(false, DefaultJwks());
  ClaimMap claims = GoodClaims();
  claims["aud"] = R"("other")";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kWrongAudience, "wrong audience");
  claims["aud"] = R"(["other","another"])";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kWrongAudience, "wrong audience");
  claims["aud"] = R"([])";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kWrongAudience, "wrong audience");
  claims["aud"] = R"(["other",5])";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kBadClaim, "invalid aud claim");
  claims.erase("aud");
  ExpectRefused(*verifier, Rs256(claims), JwtError::kWrongAudience, "wrong audience");
  claims["aud"] = R"(["other","inferd-admin"])";
  auto ok = verifier->Verify(Rs256(claims), kNowTp);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->audience, "inferd-admin");
}

TEST_F(JwtVerifierTest, RefusesAlgNoneAndOthers) {
  auto verifier = Make(true, DefaultJwks());
  const std::string payload = Base64UrlEncode(ToJson(GoodClaims()));
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string header = Base64UrlEncode(R"({"alg":")" + std::string(alg) + "\"}");
    ExpectRefused(*verifier, header + "." + payload + ".", JwtError::kUnsupportedAlg,
                  "unsupported alg: " + std::string(alg));
  }
  for (const char* alg : {"HS512", "RS384", "PS256", "ES384", "EdDSA"}) {
    ExpectRefused(*verifier, Hs256(GoodClaims(), HeaderJson(alg)), JwtError::kUnsupportedAlg,
                  "unsupported alg: " + std::string(alg));
  }
  // An odd alg is not echoed back.
  ExpectRefused(*verifier, Hs256(GoodClaims(), R"({"alg":"<script>"})"), JwtError::kUnsupportedAlg,
                "unsupported alg");
  ExpectRefused(*verifier, Hs256(GoodClaims(), R"({"typ":"JWT"})"), JwtError::kMalformed,
                "malformed token");
}

TEST_F(JwtVerifierTest, RefusesHmacWithPublicKeyMaterial) {
  // The classic confusion: an HS256 token "signed" with the public key.
  auto jwks_only = Make(false, DefaultJwks());
  const std::string pem = tu::PublicKeyPem(rsa_);
  const std::string n = tu::RsaModulus(rsa_);
  for (const std::string& secret : {pem, n, tu::RsaPublicJwk(rsa_, "rsa1")}) {
    ExpectRefused(*jwks_only, Hs256(GoodClaims(), HeaderJson("HS256", "rsa1"), secret),
                  JwtError::kUnsupportedAlg, "unsupported alg: HS256");
    ExpectRefused(*jwks_only, Hs256(GoodClaims(), HeaderJson("HS256"), secret),
                  JwtError::kUnsupportedAlg, "unsupported alg: HS256");
  }
  // With a secret configured too, the public key is still not the secret.
  auto both = Make(true, DefaultJwks());
  ExpectRefused(*both, Hs256(GoodClaims(), HeaderJson("HS256", "rsa1"), pem),
                JwtError::kBadSignature, "bad signature");
}

TEST_F(JwtVerifierTest, KeysVerifyOnlyTheirOwnAlg) {
  auto verifier = Make(false, DefaultJwks());
  // RS256 naming the EC key, ES256 naming the RSA key.
  ExpectRefused(*verifier, Rs256(GoodClaims(), "ec1"), JwtError::kNoKey, "no key for alg RS256");
  ExpectRefused(*verifier, Es256(GoodClaims(), "rsa1"), JwtError::kNoKey, "no key for alg ES256");
  // A JWK whose alg is another RSA alg does not verify RS256.
  auto pinned = Make(false, Jwks(tu::RsaPublicJwk(rsa_, "rsa1", R"(,"alg":"PS256")")));
  ExpectRefused(*pinned, Rs256(GoodClaims()), JwtError::kNoKey, "no key for alg RS256");
  auto matching = Make(false, Jwks(tu::RsaPublicJwk(rsa_, "rsa1", R"(,"alg":"RS256")")));
  EXPECT_TRUE(matching->Verify(Rs256(GoodClaims()), kNowTp).ok());
}

TEST_F(JwtVerifierTest, UnknownKidIsFlagged) {
  auto verifier = Make(false, DefaultJwks());
  ExpectRefused(*verifier, Rs256(GoodClaims(), "rsa-next"), JwtError::kUnknownKid, "unknown kid");
  ExpectRefused(*verifier, Es256(GoodClaims(), "ec-next"), JwtError::kUnknownKid, "unknown kid");
}

TEST_F(JwtVerifierTest, TokenWithoutKidNeedsASingleCandidate) {
  auto single = Make(false, DefaultJwks());  // one RSA key, one EC key
  EXPECT_TRUE(single->Verify(Rs256(GoodClaims(), ""), kNowTp).ok());
  EXPECT_TRUE(single->Verify(Es256(GoodClaims(), ""), kNowTp).ok());
  auto two_rsa =
      Make(false, Jwks(tu::RsaPublicJwk(rsa_, "rsa1") + "," + tu::RsaPublicJwk(rsa2_, "rsa2")));
  ExpectRefused(*two_rsa, Rs256(GoodClaims(), ""), JwtError::kNoKey, "token has no kid");
  EXPECT_TRUE(two_rsa->Verify(Rs256(GoodClaims(), "rsa2", rsa2_), kNowTp).ok());
  ExpectRefused(*two_rsa, Rs256(GoodClaims(), "rsa2", rsa_), JwtError::kBadSignature,
                "bad signature");
}

TEST_F(JwtVerifierTest, RefusesTamperedTokens) {
  auto verifier = Make(true, DefaultJwks());
  for (const std::string& token : {Rs256(GoodClaims()), Es256(GoodClaims()), Hs256(GoodClaims())}) {
    ASSERT_TRUE(verifier->Verify(token, kNowTp).ok());
    const size_t dot1 = token.find('.');
    const size_t dot2 = token.rfind('.');
    ClaimMap elevated = GoodClaims();
    elevated["roles"] = R"(["admin","root"])";
    const std::string forged =
        token.substr(0, dot1 + 1) + Base64UrlEncode(ToJson(elevated)) + token.substr(dot2);
    ExpectRefused(*verifier, forged, JwtError::kBadSignature, "bad signature");

    std::string sig = *Base64UrlDecode(token.substr(dot2 + 1));
    // A valid signature with a byte appended (the length is part of the format).
    ExpectRefused(*verifier, token.substr(0, dot2 + 1) + Base64UrlEncode(sig + '\0'),
                  JwtError::kBadSignature, "bad signature");
    sig[sig.size() / 2] = static_cast<char>(sig[sig.size() / 2] ^ 0x01);
    ExpectRefused(*verifier, token.substr(0, dot2 + 1) + Base64UrlEncode(sig),
                  JwtError::kBadSignature, "bad signature");
    ExpectRefused(*verifier, token.substr(0, dot2 + 1) + Base64UrlEncode(sig.substr(1)),
                  JwtError::kBadSignature, "bad signature");
    ExpectRefused(*verifier, token.substr(0, dot2 + 1), JwtError::kBadSignature, "bad signature");
  }
}

TEST_F(JwtVerifierTest, RefusesDerEncodedEs256Signature) {
  auto verifier = Make(false, DefaultJwks());
  const std::string token =
      tu::MakeToken(HeaderJson("ES256", "ec1"), ToJson(GoodClaims()),
                    [](std::string_view in) { return tu::Es256SignDer(ec_, in); });
  ExpectRefused(*verifier, token, JwtError::kBadSignature, "bad signature");
}

TEST_F(JwtVerifierTest, ReadsRolesFromArrayOrScopeString) {
  JwtPolicy policy = Policy();
  policy.roles_claim = "scope";
  auto verifier = Make(false, DefaultJwks(), policy);
  ClaimMap claims = GoodClaims();
  claims["scope"] = R"("  models:read   models:write ")";
  claims.erase("models");
  auto ok = verifier->Verify(Rs256(claims), kNowTp);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->roles, (std::vector<std::string>{"models:read", "models:write"}));
  EXPECT_TRUE(ok->models.empty());
  claims["scope"] = R"(["a b","c"])";  // array items are taken whole
  ok = verifier->Verify(Rs256(claims), kNowTp);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->roles, (std::vector<std::string>{"a b", "c"}));
  claims["scope"] = R"(["a",1])";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kBadClaim, "invalid scope claim");
  claims["scope"] = R"({"a":1})";
  ExpectRefused(*verifier, Rs256(claims), JwtError::kBadClaim, "invalid scope claim");
  claims["scope"] = R"("")";
  ok = verifier->Verify(Rs256(claims), kNowTp);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->roles.empty());
}

TEST_F(JwtVerifierTest, RefusesMalformedTokens) {
  auto verifier = Make(true, DefaultJwks());
  const std::string good = Hs256(GoodClaims());
  for (const std::string& token :
       {std::string(), std::string("."), std::string(".."), std::string("a.b"), good + ".x",
        "Bearer " + good, good.substr(0, good.find('.')) + "=" + good.substr(good.find('.')),
        Hs256(GoodClaims(), "[]"), Hs256(GoodClaims(), "not json"),
        Hs256(GoodClaims(), R"({"alg":"HS256","alg":"none"})"),
        Hs256(GoodClaims(), R"({"alg":"HS256","kid":1})")}) {
    ExpectRefused(*verifier, token, JwtError::kMalformed, "malformed token");
  }
  // Payloads are refused only after their signature holds.
  const tu::Signer hs = [](std::string_view in) { return tu::Hs256Sign(kSecret, in); };
  for (const std::string& payload :
       {std::string("[]"), std::string("{"), std::string(R"({"exp":1,"exp":2})"),
        std::string(64, '[') + std::string(64, ']')}) {
    ExpectRefused(*verifier, tu::MakeToken(HeaderJson("HS256"), payload, hs), JwtError::kMalformed,
                  "malformed token");
  }
  ExpectRefused(*verifier, good + std::string(JwtVerifier::kMaxTokenBytes, 'A'),
                JwtError::kMalformed, "token too large");
}

TEST_F(JwtVerifierTest, ChecksHeaderTypAndCrit) {
  auto verifier = Make(true, nullptr);
  for (const char* typ : {"JWT", "jwt", "at+jwt", "application/at+JWT"}) {
    const std::string header = R"({"alg":"HS256","typ":")" + std::string(typ) + "\"}";
    EXPECT_TRUE(verifier->Verify(Hs256(GoodClaims(), header), kNowTp).ok()) << typ;
  }
  EXPECT_TRUE(verifier->Verify(Hs256(GoodClaims(), R"({"alg":"HS256"})"), kNowTp).ok());
  ExpectRefused(*verifier, Hs256(GoodClaims(), R"({"alg":"HS256","typ":"JWS"})"),
                JwtError::kUnsupportedAlg, "unsupported token type");
  ExpectRefused(*verifier, Hs256(GoodClaims(), R"({"alg":"HS256","crit":["exp"],"exp":1})"),
                JwtError::kUnsupportedAlg, "unsupported crit header");
}

TEST_F(JwtVerifierTest, CreateRefusesIncompletePolicies) {
  JwtPolicy no_issuer = Policy();
  no_issuer.issuer.clear();
  EXPECT_FALSE(JwtVerifier::Create(no_issuer, std::nullopt, DefaultJwks()).ok());
  JwtPolicy no_audience = Policy();
  no_audience.audiences.clear();
  EXPECT_FALSE(JwtVerifier::Create(no_audience, std::nullopt, DefaultJwks()).ok());
  JwtPolicy empty_audience = Policy();
  empty_audience.audiences = {""};
  EXPECT_FALSE(JwtVerifier::Create(empty_audience, std::nullopt, DefaultJwks()).ok());
  JwtPolicy negative = Policy();
  negative.leeway = seconds(-1);
  EXPECT_FALSE(JwtVerifier::Create(negative, std::nullopt, DefaultJwks()).ok());
  auto no_keys = JwtVerifier::Create(Policy(), std::nullopt, nullptr);
  ASSERT_FALSE(no_keys.ok());
  EXPECT_EQ(no_keys.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(JwtVerifierTest, SetJwksSwapsKeys) {
  auto verifier = Make(false, DefaultJwks());
  const std::string token = Rs256(GoodClaims(), "rsa2", rsa2_);
  ExpectRefused(*verifier, token, JwtError::kUnknownKid, "unknown kid");
  verifier->SetJwks(Jwks(tu::RsaPublicJwk(rsa2_, "rsa2")));
  EXPECT_TRUE(verifier->Verify(token, kNowTp).ok());
  ExpectRefused(*verifier, Rs256(GoodClaims()), JwtError::kUnknownKid, "unknown kid");
  verifier->SetJwks(nullptr);
  ExpectRefused(*verifier, token, JwtError::kNoKey, "no key for alg RS256");
}

TEST_F(JwtVerifierTest, VerifiesWhileKeysAreSwapped) {
  auto verifier = Make(false, DefaultJwks());
  const std::string token = Es256(GoodClaims());
  auto a = DefaultJwks();
  auto b = DefaultJwks();
  std::thread swapper([&] {
    for (int i = 0; i < 200; ++i) verifier->SetJwks(i % 2 ? a : b);
  });
  int accepted = 0;
  for (int i = 0; i < 200; ++i) accepted += verifier->Verify(token, kNowTp).ok() ? 1 : 0;
  swapper.join();
  EXPECT_EQ(accepted, 200);
}

}  // namespace
}  // namespace inferd::auth
