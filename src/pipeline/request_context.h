// The protocol-free view of one request that the pipeline's filters read and
// fill: what is asked (route kind, model, version), who asks (client address,
// TLS peer, credentials in the headers), and what the filters decided
// (request id, trace context, identity, headers for the answer).
//
// Ownership: the protocol's server makes one per request and keeps it until
// the answer is sent; `headers` is borrowed and valid only while the call
// and target phases run. Thread-compatible: one request's filters run one at
// a time, never concurrently on the same context.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/auth/roles.h"
#include "pipeline/trace_context.h"

namespace inferd::pipeline {

// What a route does, which decides the role it needs. Health and readiness
// stay open for probes; metrics and docs are open unless configured not to be.
enum class RouteKind { kHealth, kMetrics, kDocs, kRead, kInfer, kAdmin };
std::string_view RouteKindName(RouteKind kind);

// Request headers (HTTP headers or gRPC metadata) by lower-case name.
class HeaderSource {
 public:
  virtual ~HeaderSource() = default;
  // The first value, or "" when absent.
  virtual std::string_view Get(std::string_view lower_name) const = 0;
};

// Who a request comes from, once authentication ran.
struct Identity {
  std::string kind = "anonymous";  // anonymous, api-key, jwt, certificate
  std::string name;                // key id, token subject, certificate subject
  RoleSet roles{Role::kRead, Role::kInfer, Role::kAdmin};  // without authentication: all
  std::vector<std::string> models;  // name patterns ('*', '?'); empty: every model
  int concurrency_limit = 0;        // in-flight requests of this identity; 0: none
  bool authenticated() const { return kind != "anonymous"; }
  // "api-key:k_abc", "jwt:alice", "anonymous".
  std::string Label() const { return name.empty() ? kind : kind + ":" + name; }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct RequestContext {
  // Set by the protocol's server before the filters run.
  std::string_view protocol;  // "kserve-http", "tfserving-grpc", ... (static)
  RouteKind kind = RouteKind::kRead;
  std::string_view method;  // "GET", "POST", ... or "RPC" (static)
  std::string route;        // the route pattern or the rpc's full method name
  std::string model;        // empty when the route names none
  std::string version;      // as the client wrote it
  // The route acts on every model at once (API keys): only identities
  // without a model limit may call it.
  bool server_wide = false;
  // The route serves one model it must be able to name (MLflow, /predict).
  bool model_required = false;
  std::string client_address;
  bool client_is_loopback = false;
  std::string tls_peer;  // subject of a verified client certificate, or ""
  const HeaderSource* headers = nullptr;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  // Filled by the filters.
  std::string request_id;
  bool request_id_from_client = false;  // X-Request-ID; otherwise made here
  TraceContext trace;
  Identity identity;
  HeaderList response_headers;  // added to every answer, refusals included
  // Held until the request ends (concurrency permits, ...).
  std::vector<std::shared_ptr<void>> held;
};

// The host part of a client address: "10.0.0.7:5123" -> "10.0.0.7",
// "[::1]:5000" -> "[::1]"; what per-address limits count by.
inline std::string_view ClientHost(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || address.find(']', colon) != std::string_view::npos) {
    return address;
  }
  return address.substr(0, colon);
}

// How the request ended, for the filters that run after the answer.
struct Outcome {
  int status = 0;                 // the HTTP status, or the gRPC status code
  std::string_view status_space;  // "http" or "grpc"
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  // Of a request that ran inferences: time in the models' queues, and in
  // the engine (inputs, run, outputs), summed over its inferences.
  std::optional<double> queue_ms = std::nullopt;
  std::optional<double> compute_ms = std::nullopt;
};

}  // namespace inferd::pipeline
