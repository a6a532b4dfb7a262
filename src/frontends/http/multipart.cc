#include "frontends/http/multipart.h"

#include <string>

namespace inferd::http {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in a header value such as
// `form-data; name="data"; filename="x"`; "" when absent. Values may be
// quoted (with backslash escapes left as they are) or bare tokens.
std::string_view Parameter(std::string_view value, std::string_view key) {
  const size_t first = value.find(';');
  if (first == std::string_view::npos) return {};
  std::string_view rest = value.substr(first + 1);
  auto after_semicolon = [](std::string_view s) {
    const size_t semi = s.find(';');
    return semi == std::string_view::npos ? std::string_view() : s.substr(semi + 1);
  };
  while (!rest.empty()) {
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return {};
    const std::string_view name = Trim(rest.substr(0, eq));
    rest = rest.substr(eq + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    std::string_view found;
    if (!rest.empty() && rest.front() == '"') {
      size_t close = 1;
      while (close < rest.size() && rest[close] != '"') close += rest[close] == '\\' ? 2 : 1;
      if (close >= rest.size()) return {};
      found = rest.substr(1, close - 1);
      rest = after_semicolon(rest.substr(close + 1));
    } else {
      found = Trim(rest.substr(0, rest.find(';')));
      rest = after_semicolon(rest);
    }
    if (EqualsIgnoreCase(name, key)) return found;
  }
  return {};
}

// Consumes a line break (CRLF, or a bare LF) at the front of `s`.
bool TakeLineBreak(std::string_view& s) {
  if (s.substr(0, 2) == "\r\n") {
    s.remove_prefix(2);
    return true;
  }
  if (!s.empty() && s.front() == '\n') {
    s.remove_prefix(1);
    return true;
  }
  return false;
}

}  // namespace

bool IsMultipartFormData(std::string_view content_type) {
  const std::string_view media = Trim(content_type.substr(0, content_type.find(';')));
  return EqualsIgnoreCase(media, "multipart/form-data");
}

StatusOr<std::vector<FormPart>> ReadFormParts(std::string_view content_type,
                                              std::string_view body) {
  const std::string_view boundary = Parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) {
    return InvalidArgument("multipart/form-data needs a boundary parameter of 1 to 70 characters");
  }
  const std::string delimiter = "--" + std::string(boundary);
  // The first delimiter starts the body or follows a preamble's line break.
  size_t at = body.substr(0, delimiter.size()) == delimiter ? 0 : body.find("\n" + delimiter);
  if (at == std::string_view::npos) return InvalidArgument("the multipart body has no boundary");
  std::string_view rest = body.substr(at == 0 ? delimiter.size() : at + 1 + delimiter.size());
  std::vector<FormPart> parts;
  while (true) {
    if (rest.substr(0, 2) == "--") break;  // the closing delimiter
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (!TakeLineBreak(rest)) return InvalidArgument("malformed multipart boundary line");
    // Part headers, up to an empty line.
    FormPart part;
    while (true) {
      if (TakeLineBreak(rest)) break;
      const size_t eol = rest.find('\n');
      if (eol == std::string_view::npos) return InvalidArgument("unterminated multipart headers");
      std::string_view line = rest.substr(0, eol);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      rest.remove_prefix(eol + 1);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return InvalidArgument("malformed multipart header");
      if (EqualsIgnoreCase(Trim(line.substr(0, colon)), "content-disposition")) {
        part.name = Parameter(line.substr(colon + 1), "name");
        part.filename = Parameter(line.substr(colon + 1), "filename");
      }
    }
    // The part's body ends at the line break before the next delimiter.
    const size_t end = rest.find("\n" + delimiter);
    if (end == std::string_view::npos) return InvalidArgument("unterminated multipart body");
    part.content = rest.substr(0, end);
    if (!part.content.empty() && part.content.back() == '\r') part.content.remove_suffix(1);
    if (parts.size() >= kMaxFormParts) {
      return InvalidArgument("the multipart body has more than " + std::to_string(kMaxFormParts) +
                             " parts");
    }
    parts.push_back(part);
    rest.remove_prefix(end + 1 + delimiter.size());
  }
  return parts;
}

StatusOr<std::string_view> FindFormField(std::string_view content_type, std::string_view body,
                                         std::string_view name) {
  INFERD_ASSIGN_OR_RETURN(std::vector<FormPart> parts, ReadFormParts(content_type, body));
  for (const FormPart& part : parts) {
    if (part.name == name) return part.content;
  }
  return NotFound("the multipart body has no field named '" + std::string(name) + "'");
}

}  // namespace inferd::http
