// W3C Trace Context (https://www.w3.org/TR/trace-context/): parsing the
// `traceparent` header a client sends, and the ids of the span this server
// starts for the request. A value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace inferd::pipeline {

struct TraceContext {
  std::string trace_id;        // 32 lower-case hex digits
  std::string parent_span_id;  // the caller's span (16 hex), "" when this server began the trace
  std::string span_id;         // this server's span for the request (16 hex)
  uint8_t flags = 0;           // bit 0: sampled
  std::string tracestate;      // passed through unchanged when the parent was valid

  bool empty() const { return trace_id.empty(); }
  // "00-<trace_id>-<span_id>-<flags>": what the answer carries.
  std::string Traceparent() const;
};

struct ParsedTraceparent {
  std::string trace_id;
  std::string parent_span_id;
  uint8_t flags = 0;
};

// nullopt for a malformed or invalid header (all-zero ids, version ff,
// upper-case hex): the server then begins a new trace, as the spec says.
std::optional<ParsedTraceparent> ParseTraceparent(std::string_view header);

// A child of `parent` (or a new trace when there is none) with a fresh span id.
TraceContext StartSpan(const std::optional<ParsedTraceparent>& parent, std::string_view tracestate);

// `bytes` random bytes as lower-case hex, never all zeros (ids, not secrets).
std::string RandomHexId(size_t bytes);

}  // namespace inferd::pipeline
