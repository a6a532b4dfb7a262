// Keys for JWTs published at a URL (an issuer's `jwks_uri`): fetched at
// start, again every `refresh`, and when a token names a key id the set lacks
// (the issuer rotated its keys), at most once per `min_refetch`, so tokens
// with made-up key ids cannot make inferd hammer the issuer. A fetch or parse
// that fails keeps the keys in use and says why; until a first fetch
// succeeds, tokens are refused and the fetch is retried every `min_refetch`.
//
// Fetches run on a thread of the source's own, never on a request's: the
// request whose unknown key id starts a fetch waits for it at most
// `unknown_kid_wait`, and requests that arrive meanwhile do not wait at all.
//
// Ownership: holds the verifier it installs keys into weakly; owns its fetch
// thread, which the destructor joins (a fetch ends within its timeout, or
// when the system resolver gives up on a name). Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

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
    std::chrono::milliseconds unknown_kid_wait{1000};
  };

  // INVALID_ARGUMENT for a URL that does not parse. Fetches once before it
  // returns (a failure is logged, not returned: the issuer may come later).
  static StatusOr<std::unique_ptr<JwksUrlSource>> Start(Options options,
                                                        std::shared_ptr<JwtVerifier> verifier);
  ~JwksUrlSource();
  JwksUrlSource(const JwksUrlSource&) = delete;
  JwksUrlSource& operator=(const JwksUrlSource&) = delete;

  // A token verified against key set `seen_generation` named a key id the
  // set lacks: true when the verifier holds a newer set (already, or after a
  // fetch this call started and waited for).
  bool RefetchForUnknownKid(uint64_t seen_generation);

 private:
  JwksUrlSource(Options options, FetchUrl url, std::shared_ptr<JwtVerifier> verifier);
  void Run();
  // One fetch; installs the set when it parses. Runs without mu_ held.
  bool Fetch(const char* why, bool have_keys);

  const Options options_;
  const FetchUrl url_;
  const std::weak_ptr<JwtVerifier> verifier_;

  std::mutex mu_;
  std::condition_variable wake_;     // the fetch thread: asked, or stopping
  std::condition_variable fetched_;  // a fetch ended
  bool stopping_ = false;
  bool requested_ = false;  // a request asked for a fetch now
  bool fetching_ = false;
  bool have_keys_ = false;
  std::chrono::steady_clock::time_point last_attempt_;
  std::chrono::steady_clock::time_point last_success_;
  std::thread thread_;
};

}  // namespace inferd::auth
