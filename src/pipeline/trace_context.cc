#include "pipeline/trace_context.h"

#include <random>

namespace inferd::pipeline {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZeros(std::string_view s) {
  return s.find_first_not_of('0') == std::string_view::npos;
}

int HexValue(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

}  // namespace

std::string RandomHexId(size_t bytes) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  do {
    out.clear();
    for (size_t i = 0; i < bytes; ++i) {
      const auto b = static_cast<uint8_t>(engine());
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  } while (AllZeros(out));
  return out;
}

std::optional<ParsedTraceparent> ParseTraceparent(std::string_view h) {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55.
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  const std::string_view version = h.substr(0, 2);
  const std::string_view trace_id = h.substr(3, 32);
  const std::string_view parent = h.substr(36, 16);
  const std::string_view flags = h.substr(53, 2);
  if (!IsLowerHex(version) || !IsLowerHex(trace_id) || !IsLowerHex(parent) || !IsLowerHex(flags)) {
    return std::nullopt;
  }
  if (version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may append fields
  // after another dash, which this version ignores.
  if (version == "00" ? h.size() != 55 : (h.size() > 55 && h[55] != '-')) return std::nullopt;
  if (AllZeros(trace_id) || AllZeros(parent)) return std::nullopt;
  ParsedTraceparent parsed;
  parsed.trace_id = std::string(trace_id);
  parsed.parent_span_id = std::string(parent);
  parsed.flags = static_cast<uint8_t>(HexValue(flags[0]) * 16 + HexValue(flags[1]));
  return parsed;
}

TraceContext StartSpan(const std::optional<ParsedTraceparent>& parent,
                       std::string_view tracestate) {
  TraceContext trace;
  if (parent) {
    trace.trace_id = parent->trace_id;
    trace.parent_span_id = parent->parent_span_id;
    trace.flags = parent->flags & 1;
    // tracestate is meaningless without a valid traceparent; bounded as the
    // spec allows (512 characters is what vendors must accept).
    if (tracestate.size() <= 512) trace.tracestate = std::string(tracestate);
  } else {
    trace.trace_id = RandomHexId(16);
  }
  trace.span_id = RandomHexId(8);
  return trace;
}

std::string TraceContext::Traceparent() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "00-" + trace_id + "-" + span_id + "-";
  out += kHex[flags >> 4];
  out += kHex[flags & 15];
  return out;
}

}  // namespace inferd::pipeline
