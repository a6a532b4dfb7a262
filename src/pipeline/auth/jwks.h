// Verification keys for JWTs: a JSON Web Key Set (RFC 7517) parsed into
// OpenSSL public keys, and an HMAC secret for HS256.
//
// JwkSet::Parse keeps the RSA keys (RS256) and the EC P-256 keys (ES256) of a
// document `{"keys": [...]}`. Keys whose `kty` (or EC `crv`) is not supported
// are skipped and counted, as are keys whose `use` says they are not for
// signatures; a supported key that is malformed fails the whole set, with a
// message naming its index, so that a bad edit to the file is noticed rather
// than silently dropping a key. Private members (`d`, ...) are ignored.
//
// Ownership: each Jwk owns its EVP_PKEY. A JwkSet is move-only and immutable
// once parsed; JwtVerifier shares it through shared_ptr<const JwkSet>.
// HmacKey owns a copy of the secret and wipes it on destruction.
//
// Thread-safety: a const JwkSet or HmacKey may be read from many threads
// (OpenSSL allows concurrent use of one EVP_PKEY for verification).
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace inferd::auth {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

enum class JwkKind {
  kRsa,     // kty "RSA": verifies RS256
  kEcP256,  // kty "EC", crv "P-256": verifies ES256
};

struct Jwk {
  JwkKind kind = JwkKind::kRsa;
  std::string kid;  // empty when the JWK has none
  std::string alg;  // empty when the JWK has none; else a token's alg must equal it
  EvpPkeyPtr key;   // public key, never null in a parsed set
};

struct JwkSet {
  // Upper bounds for a JWKS document, against hostile or runaway files.
  static constexpr size_t kMaxDocumentBytes = 1 << 20;
  static constexpr size_t kMaxKeys = 256;

  std::vector<Jwk> keys;
  size_t skipped_unsupported = 0;      // kty other than RSA/EC, or an EC curve other than P-256
  size_t skipped_not_for_signing = 0;  // `use` present and not "sig"

  // INVALID_ARGUMENT when `json` is not a JWKS or one of its supported keys
  // is malformed (e.g. "JWKS key 2: RSA modulus shorter than 2048 bits").
  static StatusOr<JwkSet> Parse(std::string_view json);
};

// The shared secret of HS256 tokens (RFC 7518 section 3.2).
class HmacKey {
 public:
  static constexpr size_t kMinBytes = 32;  // RFC 7518: at least the hash size

  // INVALID_ARGUMENT when `secret` is shorter than kMinBytes. The caller reads
  // the bytes (e.g. from a file) and decides about trailing newlines.
  static StatusOr<HmacKey> FromSecret(std::string secret);

  HmacKey(const HmacKey& other) = default;
  HmacKey& operator=(const HmacKey& other);
  HmacKey(HmacKey&& other) noexcept;
  HmacKey& operator=(HmacKey&& other) noexcept;
  ~HmacKey();

  std::string_view bytes() const { return secret_; }

 private:
  explicit HmacKey(std::string secret) : secret_(std::move(secret)) {}
  void Wipe();

  std::string secret_;
};

}  // namespace inferd::auth
