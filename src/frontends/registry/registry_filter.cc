#include "frontends/registry/registry_filter.h"

#include <cctype>

namespace inferd::registry {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ConsumeWord(std::string_view& s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != word[i]) return false;
  }
  s.remove_prefix(word.size());
  s = Trim(s);
  return true;
}

char Fold(char c, bool ignore_case) {
  return ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// SQL LIKE: '%' matches any run, '_' any one character (iterative, no
// backtracking blow-up: the last '%' is the only resume point needed).
bool Like(std::string_view text, std::string_view pattern, bool ignore_case) {
  size_t t = 0, p = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '_' || Fold(pattern[p], ignore_case) == Fold(text[t], ignore_case))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

Status Unsupported(std::string_view filter) {
  return InvalidArgument("unsupported filter \"" + std::string(filter) +
                         "\": use name = 'x', name LIKE 'pattern' or name ILIKE 'pattern'");
}

}  // namespace

bool NameFilter::Matches(std::string_view name) const {
  if (!exact.empty()) return name == exact;
  if (!pattern.empty()) return Like(name, pattern, ignore_case);
  return true;
}

StatusOr<NameFilter> ParseNameFilter(std::string_view filter) {
  NameFilter out;
  std::string_view s = Trim(filter);
  if (s.empty()) return out;
  if (!ConsumeWord(s, "name")) return Unsupported(filter);
  bool like = false;
  if (!s.empty() && s.front() == '=') {
    s = Trim(s.substr(1));
  } else if (ConsumeWord(s, "ilike")) {
    like = out.ignore_case = true;
  } else if (ConsumeWord(s, "like")) {
    like = true;
  } else {
    return Unsupported(filter);
  }
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front()) {
    return Unsupported(filter);
  }
  const std::string value(s.substr(1, s.size() - 2));
  if (value.empty() || value.find(s.front()) != std::string::npos) return Unsupported(filter);
  (like ? out.pattern : out.exact) = value;
  return out;
}

}  // namespace inferd::registry
