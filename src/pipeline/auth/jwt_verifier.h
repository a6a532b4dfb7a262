// JwtVerifier: checks a JWT bearer token (RFC 7519, JWS compact form) and
// returns its claims, for authenticating API clients.
//
// Accepted: alg HS256 (with the configured secret only), RS256 (with RSA keys
// of the JWKS only) and ES256 (with EC P-256 keys of the JWKS only); a JWK
// that names an `alg` verifies only that alg. "none", every other alg, a
// `crit` header and an unexpected `typ` are refused. The token must carry
// `exp`, the policy's `iss`, and an `aud` that includes one of the policy's
// audiences; `exp`, `nbf` and `iat` are checked with the policy's leeway.
// Key choice: a token with `kid` uses the JWK with that kid ("unknown kid"
// otherwise, flagged as JwtError::kUnknownKid so the caller may re-fetch the
// JWKS); a token without `kid` needs exactly one JWK that fits its alg.
//
// Every refusal is UNAUTHENTICATED with a short reason that is safe to show
// the client (no key material, no token contents beyond a short alg name).
//
// Ownership: the verifier owns its policy and secret and shares the current
// JwkSet; SetJwks swaps in a new set while verifications continue on the old
// one they already hold.
//
// Thread-safety: all methods are thread-safe. Verify takes a mutex only to
// copy the JwkSet pointer, so a SetJwks never waits on a verification.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pipeline/auth/jwks.h"

namespace inferd::auth {

struct JwtPolicy {
  std::string issuer;                   // required: `iss` must equal it
  std::vector<std::string> audiences;   // required: `aud` must include any one of them
  std::chrono::seconds leeway{60};      // clock skew allowed for exp, nbf and iat
  std::string roles_claim = "roles";    // top-level claim with the roles
  std::string models_claim = "models";  // top-level claim with the models allowed
};

// What a verified token says about its bearer.
struct JwtClaims {
  std::string subject;                           // `sub`; empty when the token has none
  std::string issuer;                            // `iss`
  std::string audience;                          // the policy audience that `aud` matched
  std::chrono::system_clock::time_point expiry;  // `exp`
  // From the policy's claims: a JSON array of strings, or one string of
  // space-separated names (like OAuth's `scope`). Empty when absent.
  std::vector<std::string> roles;
  std::vector<std::string> models;
  std::string kid;  // header `kid`; empty when absent
  std::string alg;  // "HS256", "RS256" or "ES256"
};

// Why Verify refused a token, for callers that act on the cause (metrics, or
// re-fetching a JWKS on kUnknownKid). The Status message says the same.
enum class JwtError {
  kNone,
  kMalformed,       // not three base64url segments of JSON objects, or too large
  kUnsupportedAlg,  // alg none/unknown, or HS256 without a secret; bad typ or crit
  kUnknownKid,      // header kid names no key of the JWKS
  kNoKey,           // no usable key for the alg (or no kid and several candidates)
  kBadSignature,
  kExpired,      // exp (plus leeway) has passed
  kNotYetValid,  // nbf or iat lies in the future (beyond leeway)
  kWrongIssuer,
  kWrongAudience,
  kBadClaim,  // exp missing, or a claim of the wrong JSON type
};

class JwtVerifier {
 public:
  static constexpr size_t kMaxTokenBytes = 16 * 1024;

  // INVALID_ARGUMENT when the policy lacks an issuer or audiences, the leeway
  // is negative, or neither a secret nor a JWKS is given.
  static StatusOr<std::unique_ptr<JwtVerifier>> Create(JwtPolicy policy,
                                                       std::optional<HmacKey> hmac,
                                                       std::shared_ptr<const JwkSet> jwks);

  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // Replaces the JWKS (e.g. after its file changed); null removes it.
  void SetJwks(std::shared_ptr<const JwkSet> jwks);
  std::shared_ptr<const JwkSet> jwks() const;
  // Moves with every SetJwks: what a cache of verified tokens compares (an
  // address could be reused by a later set).
  uint64_t jwks_generation() const { return jwks_generation_.load(std::memory_order_acquire); }

  const JwtPolicy& policy() const { return policy_; }

  // The claims of `token` (without any "Bearer " prefix) when it is valid at
  // `now`; else UNAUTHENTICATED, with the cause in `*error` when given.
  StatusOr<JwtClaims> Verify(std::string_view token, std::chrono::system_clock::time_point now,
                             JwtError* error = nullptr) const;

 private:
  JwtVerifier(JwtPolicy policy, std::optional<HmacKey> hmac, std::shared_ptr<const JwkSet> jwks);

  StatusOr<JwtClaims> VerifyImpl(std::string_view token, std::chrono::system_clock::time_point now,
                                 JwtError* error) const;

  const JwtPolicy policy_;
  const std::optional<HmacKey> hmac_;
  mutable std::mutex jwks_mu_;
  std::shared_ptr<const JwkSet> jwks_;  // guarded by jwks_mu_
  std::atomic<uint64_t> jwks_generation_{0};
};

}  // namespace inferd::auth
