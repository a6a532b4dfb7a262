// libFuzzer target: the JWT verifier and the JWKS parser.
//
// The first byte picks the mode:
//   0: the rest is a token, verified against an HS256 secret and a JWKS
//      holding an RSA and an EC P-256 key;
//   1: the rest is a JWKS document;
//   2: the rest is "<signer byte><header JSON>\n<payload JSON>", signed here
//      with the secret, the RSA key or the EC key (by the signer byte) so
//      that key selection and claim checks run on validly signed tokens.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/auth/jwks.h"
#include "pipeline/auth/jwt_test_util.h"
#include "pipeline/auth/jwt_verifier.h"

namespace {

namespace auth = inferd::auth;
namespace tu = inferd::auth::test_util;

constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef-0123456789";

struct Fixture {
  auth::EvpPkeyPtr rsa = tu::GenerateRsaKey();
  auth::EvpPkeyPtr ec = tu::GenerateEcP256Key();
  std::unique_ptr<auth::JwtVerifier> verifier;

  Fixture() {
    auto jwks = auth::JwkSet::Parse(R"({"keys":[)" + tu::RsaPublicJwk(rsa.get(), "rsa1") + "," +
                                    tu::EcPublicJwk(ec.get(), "ec1") + "]}");
    tu::Check(jwks.ok(), "JwkSet::Parse");
    auth::JwtPolicy policy;
    policy.issuer = "iss";
    policy.audiences = {"aud", "aud2"};
    auto created =
        auth::JwtVerifier::Create(policy, auth::HmacKey::FromSecret(std::string(kSecret)).value(),
                                  std::make_shared<const auth::JwkSet>(std::move(*jwks)));
    tu::Check(created.ok(), "JwtVerifier::Create");
    verifier = std::move(created).value();
  }
};

const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1'700'000'000)};

void Verify(const Fixture& f, std::string_view token) {
  auth::JwtError error = auth::JwtError::kNone;
  auto claims = f.verifier->Verify(token, kNow, &error);
  // Every refusal carries a cause, and every acceptance none.
  if (claims.ok() != (error == auth::JwtError::kNone)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture* fixture = new Fixture();
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      Verify(*fixture, rest);
      break;
    case 1:
      (void)auth::JwkSet::Parse(rest);
      break;
    default: {
      if (rest.empty()) return 0;
      const uint8_t signer = static_cast<uint8_t>(rest[0]);
      const std::string_view text = rest.substr(1);
      const size_t newline = text.find('\n');
      if (newline == std::string_view::npos) return 0;
      const std::string_view header = text.substr(0, newline);
      const std::string_view payload = text.substr(newline + 1);
      const std::string token = tu::MakeToken(header, payload, [&](std::string_view in) {
        switch (signer % 3) {
          case 0:
            return tu::Hs256Sign(kSecret, in);
          case 1:
            return tu::Rs256Sign(fixture->rsa.get(), in);
          default:
            return tu::Es256Sign(fixture->ec.get(), in);
        }
      });
      Verify(*fixture, token);
    }
  }
  return 0;
}
