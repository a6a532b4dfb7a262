// One GET of a JWKS document over HTTP or HTTPS, for keys published at an
// issuer's URL (`jwks_uri`): bounded in time and size, TLS 1.2 or later,
// the server's certificate checked against the system's CAs (or a given CA
// file) and the URL's host name.
//
// Stateless; each call uses its own I/O context and blocks the calling
// thread for at most the timeout. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd::auth {

struct FetchUrl {
  bool tls = false;
  std::string host;  // a name, an IPv4 address or a bracket-less IPv6 address
  std::string port;
  std::string target;  // path and query, at least "/"
  std::string Display() const;
};

// "https://issuer.example/.well-known/jwks.json" -> parts; INVALID_ARGUMENT
// for another scheme, user info, a fragment or a missing host.
StatusOr<FetchUrl> ParseFetchUrl(std::string_view url);

struct FetchOptions {
  std::string ca_file;  // PEM CAs for HTTPS; empty: the system's
  std::chrono::milliseconds timeout{5000};
  size_t max_bytes = 1 << 20;
};

// The body of a 200 answer; UNAVAILABLE (with the cause) for anything else:
// a network or TLS failure, another status, a body past max_bytes, the timeout.
StatusOr<std::string> FetchDocument(const FetchUrl& url, const FetchOptions& options);

}  // namespace inferd::auth
