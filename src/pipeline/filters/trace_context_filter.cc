#include "pipeline/filters/trace_context_filter.h"

namespace inferd::pipeline {

std::optional<Refusal> TraceContextFilter::OnCall(RequestContext& context) {
  std::string_view traceparent, tracestate;
  if (context.headers) {
    traceparent = context.headers->Get("traceparent");
    tracestate = context.headers->Get("tracestate");
  }
  context.trace = StartSpan(ParseTraceparent(traceparent), tracestate);
  context.response_headers.emplace_back("traceparent", context.trace.Traceparent());
  if (!context.trace.tracestate.empty()) {
    context.response_headers.emplace_back("tracestate", context.trace.tracestate);
  }
  return std::nullopt;
}

}  // namespace inferd::pipeline
