#include "frontends/registry/registry_filter.h"

#include <cctype>

namespace inferd::registry {
namespace {

using Op = FilterClause::Op;

void SkipSpace(std::string_view& s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
}

// Consumes `word` (any case) when it is the next token.
bool ConsumeWord(std::string_view& s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != word[i]) return false;
  }
  if (s.size() > word.size() &&
      (std::isalnum(static_cast<unsigned char>(s[word.size()])) || s[word.size()] == '_')) {
    return false;  // a longer identifier
  }
  s.remove_prefix(word.size());
  SkipSpace(s);
  return true;
}

bool ConsumeQuoted(std::string_view& s, char open, char close, std::string& out) {
  if (s.empty() || s.front() != open) return false;
  const size_t end = s.find(close, 1);
  if (end == std::string_view::npos) return false;
  out = std::string(s.substr(1, end - 1));
  s.remove_prefix(end + 1);
  SkipSpace(s);
  return true;
}

bool ConsumeKey(std::string_view& s, std::string& out) {
  if (ConsumeQuoted(s, '`', '`', out)) return !out.empty();
  size_t n = 0;
  while (n < s.size() && (std::isalnum(static_cast<unsigned char>(s[n])) || s[n] == '_' ||
                          s[n] == '.' || s[n] == '-')) {
    ++n;
  }
  if (n == 0) return false;
  out = std::string(s.substr(0, n));
  s.remove_prefix(n);
  SkipSpace(s);
  return true;
}

char Fold(char c, bool ignore_case) {
  return ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// SQL LIKE: '%' matches any run, '_' any one character. Iterative: on a
// mismatch only the last '%' needs resuming, so the time stays quadratic at
// worst, never exponential.
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

bool Holds(const FilterClause& c, const std::string* value) {
  switch (c.op) {
    case Op::kEquals:
      return value != nullptr && *value == c.value;
    case Op::kNotEquals:
      return value == nullptr || *value != c.value;
    case Op::kLike:
      return value != nullptr && Like(*value, c.value, false);
    case Op::kILike:
      return value != nullptr && Like(*value, c.value, true);
  }
  return false;
}

Status Unsupported(std::string_view filter) {
  return InvalidArgument("unsupported filter \"" + std::string(filter) +
                         "\": use clauses joined by AND, each name or tag.<key> with =, != "
                         "(or, for name, LIKE and ILIKE) and a quoted value");
}

}  // namespace

std::string RegistryFilter::ExactName() const {
  for (const auto& c : clauses) {
    if (!c.on_tag && c.op == Op::kEquals) return c.value;
  }
  return {};
}

bool RegistryFilter::Matches(std::string_view name,
                             const std::map<std::string, std::string>& tags) const {
  const std::string name_text(name);
  for (const auto& c : clauses) {
    const std::string* value = &name_text;
    if (c.on_tag) {
      auto it = tags.find(c.tag);
      value = it == tags.end() ? nullptr : &it->second;
    }
    if (!Holds(c, value)) return false;
  }
  return true;
}

StatusOr<RegistryFilter> ParseRegistryFilter(std::string_view filter) {
  RegistryFilter out;
  std::string_view s = filter;
  SkipSpace(s);
  while (!s.empty()) {
    if (!out.clauses.empty() && !ConsumeWord(s, "and")) return Unsupported(filter);
    FilterClause clause;
    std::string key;
    if (!ConsumeKey(s, key)) return Unsupported(filter);
    std::string lower;
    for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("tag.") || lower.starts_with("tags.")) {
      clause.on_tag = true;
      clause.tag = key.substr(key.find('.') + 1);
      if (clause.tag.empty()) ConsumeQuoted(s, '`', '`', clause.tag);
      if (clause.tag.empty()) return Unsupported(filter);
    } else if (lower == "tag" || lower == "tags") {
      // tag.`key with dots` arrives as "tag" then ".`...`".
      if (s.empty() || s.front() != '.') return Unsupported(filter);
      s.remove_prefix(1);
      if (!ConsumeQuoted(s, '`', '`', clause.tag) || clause.tag.empty()) {
        return Unsupported(filter);
      }
      clause.on_tag = true;
    } else if (lower != "name") {
      return Unsupported(filter);
    }
    if (s.starts_with("!=")) {
      clause.op = Op::kNotEquals;
      s.remove_prefix(2);
      SkipSpace(s);
    } else if (s.starts_with("=")) {
      s.remove_prefix(1);
      SkipSpace(s);
    } else if (!clause.on_tag && ConsumeWord(s, "ilike")) {
      clause.op = Op::kILike;
    } else if (!clause.on_tag && ConsumeWord(s, "like")) {
      clause.op = Op::kLike;
    } else {
      return Unsupported(filter);
    }
    if (!ConsumeQuoted(s, '\'', '\'', clause.value) && !ConsumeQuoted(s, '"', '"', clause.value)) {
      return Unsupported(filter);
    }
    if (!clause.on_tag && clause.value.empty()) return Unsupported(filter);
    out.clauses.push_back(std::move(clause));
  }
  return out;
}

}  // namespace inferd::registry
