#include "frontends/tfserving/tf_json_nonfinite.h"

#include <cstring>

namespace inferd::tfserving {
namespace {

constexpr std::string_view kNaNMarker = "\"\\u0000NaN\"";
constexpr std::string_view kInfMarker = "\"\\u0000Infinity\"";
constexpr std::string_view kNegInfMarker = "\"\\u0000-Infinity\"";

// A value may start right after these (or at the start of the text).
bool StartsValue(char previous) {
  return previous == '[' || previous == ',' || previous == ':' || previous == ' ' ||
         previous == '\t' || previous == '\n' || previous == '\r';
}

// A value ends at the end of the text or before one of these.
bool EndsValue(std::string_view text, size_t at) {
  if (at == text.size()) return true;
  const char c = text[at];
  return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The length of a non-finite token at `at` (0 when there is none) and its kind.
size_t MatchToken(std::string_view text, size_t at, NonFinite& kind) {
  const bool minus = text[at] == '-';
  const std::string_view rest = text.substr(at + (minus ? 1 : 0));
  size_t length = 0;
  if (rest.starts_with("NaN")) {
    kind = NonFinite::kNaN;
    length = 3;
  } else if (rest.starts_with("Infinity")) {
    kind = minus ? NonFinite::kNegInf : NonFinite::kInf;
    length = 8;
  } else if (rest.starts_with("Inf")) {
    kind = minus ? NonFinite::kNegInf : NonFinite::kInf;
    length = 3;
  } else {
    return 0;
  }
  length += minus ? 1 : 0;
  return EndsValue(text, at + length) ? length : 0;
}

}  // namespace

StatusOr<bool> RewriteNonFiniteTokens(std::string_view text, std::string& out) {
  // Fast path: most bodies have no 'N' or 'I' byte at all.
  if (std::memchr(text.data(), 'N', text.size()) == nullptr &&
      std::memchr(text.data(), 'I', text.size()) == nullptr) {
    return false;
  }
  bool in_string = false;
  bool nul_escape = false;
  bool rewritten = false;
  size_t copied = 0;  // text[0, copied) is already in `out`
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        if (text.substr(i + 1, 5) == "u0000") nul_escape = true;
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != 'N' && c != 'I' && c != '-') continue;
    if (i > 0 && !StartsValue(text[i - 1])) continue;
    NonFinite kind = NonFinite::kNone;
    const size_t length = MatchToken(text, i, kind);
    if (length == 0) continue;
    if (!rewritten) {
      out.clear();
      out.reserve(text.size() + 64);
      rewritten = true;
    }
    out.append(text.substr(copied, i - copied));
    out.append(kind == NonFinite::kNaN   ? kNaNMarker
               : kind == NonFinite::kInf ? kInfMarker
                                         : kNegInfMarker);
    copied = i + length;
    i = copied - 1;
  }
  if (!rewritten) return false;
  if (nul_escape) {
    return InvalidArgument(
        "a body with bare NaN or Infinity cannot also hold strings with \\u0000; "
        "send binary strings as {\"b64\": ...}");
  }
  out.append(text.substr(copied));
  return true;
}

NonFinite NonFiniteMarker(std::string_view decoded) {
  if (decoded.empty() || decoded[0] != '\0') return NonFinite::kNone;
  const std::string_view rest = decoded.substr(1);
  if (rest == "NaN") return NonFinite::kNaN;
  if (rest == "Infinity") return NonFinite::kInf;
  if (rest == "-Infinity") return NonFinite::kNegInf;
  return NonFinite::kNone;
}

}  // namespace inferd::tfserving
