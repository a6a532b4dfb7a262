// Keys for JWTs published at a URL (an issuer's `jwks_uri`): fetched at
// start, re-fetched every `refresh`, and at once when a token names a key id
// the set lacks (the issuer rotated its keys), at most once per
// `min_refetch` so that tokens with made-up key ids cannot make inferd hammer
// the issuer. A fetch or parse that fails keeps the keys in use and says why;
// until a first fetch succeeds, tokens signed with those keys are refused.
//
// Ownership: borrows the verifier it installs keys into (shared, so a
// refresh never outlives it). Thread-safety: thread-safe; a refetch for an
// unknown key id blocks its caller for at most the fetch timeout, and
// concurrent callers wait for the same fetch.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "core/scheduler/periodic_task.h"
#include "pipeline/auth/jwks_fetch.h"
#include "pipeline/auth/jwt_verifier.h"

namespace inferd::auth {

class JwksUrlSource {
 public:
  struct Options {
    std::string url;
    FetchOptions fetch;
    std::chrono::seconds refresh{300};
    std::chrono::seconds min_refetch{10};
  };

  // INVALID_ARGUMENT for a URL that does not parse. Fetches once before it
  // returns (a failure is logged, not returned: the issuer may come later).
  static StatusOr<std::unique_ptr<JwksUrlSource>> Start(Options options,
                                                        std::shared_ptr<JwtVerifier> verifier);
  ~JwksUrlSource();

  // A token named a key id the set lacks: re-fetch now, unless a fetch ran
  // within min_refetch. True when the verifier has a newer key set than when
  // the call began (this fetch's, or a concurrent one's).
  bool RefetchForUnknownKid();

 private:
  JwksUrlSource(Options options, FetchUrl url, std::shared_ptr<JwtVerifier> verifier);
  // One fetch; installs the set when it parses. Call with fetch_mu_ held.
  bool FetchLocked(const char* why);

  const Options options_;
  const FetchUrl url_;
  const std::weak_ptr<JwtVerifier> verifier_;
  std::mutex fetch_mu_;  // one fetch at a time
  std::chrono::steady_clock::time_point last_attempt_;
  std::chrono::steady_clock::time_point last_success_;
  bool have_keys_ = false;
  std::unique_ptr<PeriodicTask> refresher_;
};

}  // namespace inferd::auth
