#include "pipeline/auth/jws_signature.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>

namespace inferd::auth {
namespace {

constexpr size_t kSha256Bytes = 32;
constexpr size_t kP256ScalarBytes = 32;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// EVP_DigestVerify with SHA-256 over `signing_input`; `sig` is in the form the
// key's algorithm expects (the PKCS#1 v1.5 block for RSA, DER for ECDSA).
bool DigestVerify(EVP_PKEY* key, std::string_view signing_input, const unsigned char* sig,
                  size_t sig_len) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), sig, sig_len, Bytes(signing_input), signing_input.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace

bool VerifyHs256(std::string_view secret, std::string_view signing_input,
                 std::string_view signature) {
  if (signature.size() != kSha256Bytes) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), Bytes(signing_input),
           signing_input.size(), mac, &mac_len) == nullptr ||
      mac_len != kSha256Bytes) {
    ERR_clear_error();
    return false;
  }
  const bool ok = CRYPTO_memcmp(mac, signature.data(), kSha256Bytes) == 0;
  OPENSSL_cleanse(mac, sizeof(mac));
  return ok;
}

bool VerifyRs256(EVP_PKEY* rsa_key, std::string_view signing_input, std::string_view signature) {
  if (EVP_PKEY_get_base_id(rsa_key) != EVP_PKEY_RSA) return false;
  // RFC 7518 section 3.3: the signature is exactly as long as the modulus.
  if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(rsa_key))) return false;
  return DigestVerify(rsa_key, signing_input, Bytes(signature), signature.size());
}

bool VerifyEs256(EVP_PKEY* ec_key, std::string_view signing_input, std::string_view signature) {
  if (EVP_PKEY_get_base_id(ec_key) != EVP_PKEY_EC) return false;
  if (signature.size() != 2 * kP256ScalarBytes) return false;
  BIGNUM* r = BN_bin2bn(Bytes(signature), kP256ScalarBytes, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(signature) + kP256ScalarBytes, kP256ScalarBytes, nullptr);
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ERR_clear_error();
    return false;
  }
  // `sig` owns r and s from here on.
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) {
    ERR_clear_error();
    return false;
  }
  const bool ok = DigestVerify(ec_key, signing_input, der, static_cast<size_t>(der_len));
  OPENSSL_free(der);
  return ok;
}

}  // namespace inferd::auth
