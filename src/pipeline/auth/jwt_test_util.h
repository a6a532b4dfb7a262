// Test-only helpers for the JWT verifier's tests and fuzzer: make RSA and EC
// keys with OpenSSL, export their public halves as JWK JSON or PEM, and sign
// compact JWTs with HS256, RS256 or ES256 (raw R||S, or DER to test refusal).
//
// Not for production: failures abort, and nothing here is constant-time.
// Thread-safety: pure functions.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>

#include "pipeline/auth/base64url.h"
#include "pipeline/auth/jwks.h"

namespace inferd::auth::test_util {

inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "jwt_test_util: %s failed\n", what);
    std::abort();
  }
}

inline EvpPkeyPtr GenerateRsaKey(unsigned bits = 2048) {
  EvpPkeyPtr key(EVP_RSA_gen(bits));
  Check(key != nullptr, "EVP_RSA_gen");
  return key;
}

inline EvpPkeyPtr GenerateEcP256Key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

// The big-endian bytes of the BIGNUM parameter `name`, left-padded to `width`
// when width > 0.
inline std::string BnParam(const EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* bn = nullptr;
  Check(EVP_PKEY_get_bn_param(key, name, &bn) == 1, name);
  std::string out(width > 0 ? static_cast<size_t>(width) : BN_num_bytes(bn), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  Check((width > 0 ? BN_bn2binpad(bn, p, width) : BN_bn2bin(bn, p)) >= 0, "BN_bn2bin");
  BN_free(bn);
  return out;
}

inline std::string RsaModulus(const EVP_PKEY* key) {
  return BnParam(key, OSSL_PKEY_PARAM_RSA_N);
}

// `extra` is spliced into the JSON object, e.g. R"(,"alg":"RS256")".
inline std::string RsaPublicJwk(const EVP_PKEY* key, std::string_view kid,
                                std::string_view extra = "") {
  std::string jwk = R"({"kty":"RSA")";
  if (!kid.empty()) jwk += R"(,"kid":")" + std::string(kid) + "\"";
  jwk += R"(,"n":")" + Base64UrlEncode(RsaModulus(key)) + R"(","e":")" +
         Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_E)) + "\"" + std::string(extra) + "}";
  return jwk;
}

inline std::string EcPublicJwk(const EVP_PKEY* key, std::string_view kid,
                               std::string_view extra = "") {
  std::string jwk = R"({"kty":"EC","crv":"P-256")";
  if (!kid.empty()) jwk += R"(,"kid":")" + std::string(kid) + "\"";
  jwk += R"(,"x":")" + Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)) + R"(","y":")" +
         Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32)) + "\"" + std::string(extra) +
         "}";
  return jwk;
}

inline std::string PublicKeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(bio != nullptr && PEM_write_bio_PUBKEY(bio, key) == 1, "PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

inline std::string Hs256Sign(std::string_view secret, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  Check(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
             &len) != nullptr,
        "HMAC");
  return std::string(reinterpret_cast<char*>(mac), len);
}

// SHA-256 signature as OpenSSL makes it: PKCS#1 v1.5 for RSA, DER for ECDSA.
inline std::string DigestSign(EVP_PKEY* key, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  Check(ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, nullptr, 0) == 1,
        "EVP_DigestSignInit");
  std::string sig(len, '\0');
  Check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1,
        "EVP_DigestSign");
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

inline std::string Rs256Sign(EVP_PKEY* key, std::string_view input) {
  return DigestSign(key, input);
}

inline std::string Es256SignDer(EVP_PKEY* key, std::string_view input) {
  return DigestSign(key, input);
}

// JOSE form: R and S, each left-padded to 32 bytes.
inline std::string Es256Sign(EVP_PKEY* key, std::string_view input) {
  const std::string der = Es256SignDer(key, input);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  Check(sig != nullptr, "d2i_ECDSA_SIG");
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  Check(BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) == 32 &&
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) == 32,
        "BN_bn2binpad");
  ECDSA_SIG_free(sig);
  return raw;
}

using Signer = std::function<std::string(std::string_view signing_input)>;

// "<b64(header)>.<b64(payload)>.<b64(sign(...))>"; JSON texts are taken as is.
inline std::string MakeToken(std::string_view header_json, std::string_view payload_json,
                             const Signer& sign) {
  std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  const std::string sig = sign(input);
  return input + "." + Base64UrlEncode(sig);
}

}  // namespace inferd::auth::test_util
