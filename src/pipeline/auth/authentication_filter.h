// Who is asking: reads the credentials a request carries and sets the
// context's identity, or refuses with 401 (UNAUTHENTICATED) and
// `WWW-Authenticate: Bearer`.
//
// Credentials, over HTTP headers and gRPC metadata alike:
//   Authorization: Bearer ik_...   an API key (also as X-API-Key: ik_...)
//   Authorization: Bearer <JWT>    a signed token (HS256, RS256, ES256)
//   a verified TLS client certificate, when certificate identities are on
// A request without credentials is refused unless its route is open
// (health, docs; metrics unless protected). Key lookups read the key
// database on every request, so a revoked key fails at once on every
// replica; a database that cannot be read refuses (fails closed).
//
// Ownership: borrows the key store and the JWT verifier, which must outlive
// it. Thread-safety: thread-safe (both are).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/auth/api_key.h"
#include "pipeline/auth/failed_auth_throttle.h"
#include "pipeline/auth/jwt_verifier.h"
#include "pipeline/filter.h"

namespace inferd::pipeline {

struct AuthenticationOptions {
  ApiKeyStore* keys = nullptr;             // null: API keys are not accepted
  const auth::JwtVerifier* jwt = nullptr;  // null: tokens are not accepted
  // Asked when a token checked against key set N (the verifier's
  // generation) names a key id the set lacks: true when a newer set is in
  // place (JwksUrlSource::RefetchForUnknownKid); empty: never.
  std::function<bool(uint64_t)> refetch_jwks;
  std::optional<RoleSet> certificate_roles;  // set: a verified client certificate is an identity
  bool protect_metrics = false;              // /metrics needs the read role
  // Past its budget, a failure from the same address is answered 429; null:
  // every failure is a 401.
  const FailedAuthThrottle* failure_throttle = nullptr;
};

class AuthenticationFilter final : public Filter {
 public:
  explicit AuthenticationFilter(AuthenticationOptions options) : options_(std::move(options)) {}
  std::optional<Refusal> OnCall(RequestContext& context) override;

 private:
  std::optional<Refusal> FromApiKey(RequestContext& context, std::string_view key);
  std::optional<Refusal> FromToken(RequestContext& context, std::string_view token);
  // A 401 becomes a 429 past the failure budget of the client's address.
  std::optional<Refusal> Throttled(const RequestContext& context,
                                   std::optional<Refusal> refusal) const;
  AuthenticationOptions options_;

  // Tokens already verified, until they expire: a token cannot change, so
  // checking its signature once is enough (a new key set empties the cache
  // for the tokens of the old one). Bounded; emptied when full.
  struct VerifiedToken {
    Identity identity;
    std::chrono::system_clock::time_point expiry;
    uint64_t key_set;  // the JWKS generation the token was checked against
  };
  static constexpr size_t kMaxCachedTokens = 4096;
  struct TokenHash {
    using is_transparent = void;  // looked up by string_view: no copy per request
    size_t operator()(std::string_view token) const { return std::hash<std::string_view>{}(token); }
  };
  std::mutex tokens_mu_;
  std::unordered_map<std::string, VerifiedToken, TokenHash, std::equal_to<>> tokens_;
};

// The credential a request carries: "Bearer <x>" (scheme in any case) or
// X-API-Key; "" when none. Public for tests and fuzzing.
std::string_view PresentedCredential(std::string_view authorization, std::string_view api_key);

}  // namespace inferd::pipeline
