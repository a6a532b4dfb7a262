#include "frontends/http/query_params.h"

namespace inferd::http {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = Hex(text[i + 1]);
      const int lo = Hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

template <typename Fn>
void ForEachPair(std::string_view query, Fn fn) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    fn(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::optional<std::string> QueryParam(std::string_view query, std::string_view key) {
  std::optional<std::string> found;
  bool done = false;
  ForEachPair(query, [&](std::string_view k, std::string_view v) {
    if (done || Decode(k) != key) return;
    found = Decode(v);
    done = true;
  });
  return found;
}

std::vector<std::string> QueryParams(std::string_view query, std::string_view key) {
  std::vector<std::string> out;
  ForEachPair(query, [&](std::string_view k, std::string_view v) {
    if (Decode(k) != key) return;
    if (auto value = Decode(v)) out.push_back(std::move(*value));
  });
  return out;
}

}  // namespace inferd::http
