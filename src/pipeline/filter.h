// One step of the request pipeline (Envoy's filter chain, built small): each
// filter looks at the request context and either lets it continue or answers
// now with a refusal. Filters know no protocol; each protocol's server maps a
// refusal to its own error shape and status.
//
// Points on the way in: OnCall runs as soon as the headers are known,
// before any body is decoded (identity, limits); OnTarget runs once the model
// and version the request names are known (authorization). OnDone runs after
// the answer went out (access log), for refused requests too.
//
// Thread-safety: a filter is shared by all requests and must be thread-safe.
#pragma once

#include <optional>

#include "core/status.h"
#include "pipeline/request_context.h"

namespace inferd::pipeline {

struct Refusal {
  // UNAUTHENTICATED (401), PERMISSION_DENIED (403), NOT_FOUND (a model the
  // identity may not see), RESOURCE_EXHAUSTED (429) ...
  Status status;
  HeaderList headers;  // WWW-Authenticate, Retry-After, RateLimit-*
  // Answer as the protocol answers a model that does not exist (a model the
  // identity may not use), so model names do not leak.
  bool as_unknown_model = false;
};

class Filter {
 public:
  virtual ~Filter() = default;
  virtual std::optional<Refusal> OnCall(RequestContext& /*context*/) { return std::nullopt; }
  virtual std::optional<Refusal> OnTarget(RequestContext& /*context*/) { return std::nullopt; }
  // Each further message of a stream (gRPC ModelStreamInfer), whose model
  // is in context.model: every message is a request for the limits.
  virtual std::optional<Refusal> OnMessage(RequestContext& /*context*/) { return std::nullopt; }
  virtual void OnDone(const RequestContext& /*context*/, const Outcome& /*outcome*/) {}
};

}  // namespace inferd::pipeline
