// Joins the caller's W3C trace (traceparent / tracestate headers or gRPC
// metadata) or begins one, starts this server's span for the request, and
// hands the span back in the answer's traceparent. Spans are logged
// (trace_id, span_id); they are not exported: opentelemetry-cpp is not in
// Debian 12's registry. Stateless; thread-safe.
#pragma once

#include "pipeline/filter.h"

namespace inferd::pipeline {

class TraceContextFilter final : public Filter {
 public:
  std::optional<Refusal> OnCall(RequestContext& context) override;
};

}  // namespace inferd::pipeline
