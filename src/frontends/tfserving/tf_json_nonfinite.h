// TF Serving's REST API accepts the bare tokens NaN, Infinity and -Infinity
// (RapidJSON's kParseNanAndInfFlag, which also takes Inf, -Inf and -NaN).
// inferd parses JSON with simdjson, which follows RFC 8259 and rejects them,
// so TF REST bodies go through this pre-pass first: each such token outside
// a string becomes a marker string ("\u0000NaN", "\u0000Infinity",
// "\u0000-Infinity") that the TF decoders read back as the number.
//
// Markers are only honoured in a body the pre-pass rewrote, and such a body
// may not also hold a string with a "\u0000" escape, so a client string can
// never be taken for a marker (send binary strings as {"b64": ...}).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd::tfserving {

enum class NonFinite { kNone, kNaN, kInf, kNegInf };

// Writes the rewritten text to `out` and returns true when `text` has bare
// non-finite tokens; returns false, leaving `out` alone, when it has none.
// Text that is not JSON passes through for the JSON parser to reject.
StatusOr<bool> RewriteNonFiniteTokens(std::string_view text, std::string& out);

// The number a decoded JSON string stands for in a rewritten body.
NonFinite NonFiniteMarker(std::string_view decoded);

}  // namespace inferd::tfserving
