// libFuzzer target: the API key text parser (`ik_<id>_<secret>`), and the
// model glob matcher over the same bytes. Checks invariants, not just
// crashes: a parsed key re-formats to the input, and every string matches
// itself as a pattern, and the matcher agrees with a reference one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/auth/api_key.h"

namespace {

// The textbook table: match[i][j] = pattern[i:] matches model[j:].
bool ReferenceMatch(std::string_view pattern, std::string_view model) {
  const size_t n = pattern.size(), m = model.size();
  std::vector<std::vector<char>> match(n + 1, std::vector<char>(m + 1, 0));
  match[n][m] = 1;
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m + 1; j-- > 0;) {
      if (pattern[i] == '*') {
        match[i][j] = match[i + 1][j] || (j < m && match[i][j + 1]);
      } else if (j < m && (pattern[i] == '?' || pattern[i] == model[j])) {
        match[i][j] = match[i + 1][j + 1];
      }
    }
  }
  return match[0][0] != 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace inferd;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto parts = ParseApiKey(text)) {
    if (!IsApiKeyId(parts->id) || parts->secret.size() != kApiKeySecretChars ||
        FormatApiKey(parts->id, parts->secret) != text) {
      std::abort();
    }
  }
  (void)IsApiKeyId(text);
  // Pattern before the first newline, model after it.
  const size_t nl = text.find('\n');
  const std::string_view pattern = text.substr(0, nl);
  const std::string_view model = nl == std::string_view::npos ? text : text.substr(nl + 1);
  const bool matches = ModelPatternMatches(pattern, model);
  if (pattern.size() <= 128 && model.size() <= 128 && matches != ReferenceMatch(pattern, model)) {
    std::abort();
  }
  if (!ModelPatternMatches(model, model) || !ModelPatternMatches("*", model)) std::abort();
  (void)ParseRoleSet(text);
  return 0;
}
