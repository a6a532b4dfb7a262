#include "core/auth/api_key.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <memory>
#include <type_traits>

#include "core/sha256.h"

namespace inferd {
namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxPatternBytes = 256;
constexpr size_t kMaxPatterns = 256;

bool IsBase32(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

bool AllBase32(std::string_view s) {
  for (char c : s) {
    if (!IsBase32(c)) return false;
  }
  return true;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Unpadded RFC 4648 base32, lowercase: ceil(8n/5) characters.
std::string Base32(const unsigned char* data, size_t size) {
  std::string out;
  out.reserve((size * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

StatusOr<std::string> RandomBase32(size_t bytes, size_t chars) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return Internal("the system's random source failed");
  }
  std::string text = Base32(raw.data(), raw.size());
  OPENSSL_cleanse(raw.data(), raw.size());
  text.resize(chars);
  return text;
}

}  // namespace

Status ValidateNewApiKey(const NewApiKey& spec, int64_t now_unix) {
  if (spec.name.empty() || spec.name.size() > kMaxNameBytes || HasControl(spec.name)) {
    return InvalidArgument("an API key's name must be 1 to 128 bytes without control characters");
  }
  if (spec.roles.empty()) return InvalidArgument("an API key needs at least one role");
  if (spec.models.size() > kMaxPatterns) {
    return InvalidArgument("an API key may list at most 256 models");
  }
  for (const auto& pattern : spec.models) {
    if (pattern.empty() || pattern.size() > kMaxPatternBytes || HasControl(pattern)) {
      return InvalidArgument(
          "an API key's model patterns must be 1 to 256 bytes without control characters");
    }
  }
  if (spec.expires_at_unix && *spec.expires_at_unix <= now_unix) {
    return InvalidArgument("an API key's expiry must be in the future");
  }
  return Status::Ok();
}

bool ModelPatternMatches(std::string_view pattern, std::string_view model) {
  // Greedy with one backtrack point: on a mismatch, let the last '*' take
  // one more character. Enough for '*' and '?' and never exponential.
  size_t p = 0, m = 0;
  size_t star = std::string_view::npos, star_m = 0;
  while (m < model.size()) {
    // '*' first: a literal '*' in the model must not match it as a character.
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_m = m;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == model[m])) {
      ++p;
      ++m;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      m = ++star_m;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool KeyAllowsModel(const ApiKeyRecord& key, std::string_view model) {
  if (key.models.empty()) return true;
  for (const auto& pattern : key.models) {
    if (ModelPatternMatches(pattern, model)) return true;
  }
  return false;
}

bool IsApiKeyId(std::string_view id) {
  return id.size() == kApiKeyIdChars && id.starts_with(kApiKeyIdPrefix) &&
         AllBase32(id.substr(kApiKeyIdPrefix.size()));
}

std::optional<ApiKeyParts> ParseApiKey(std::string_view presented) {
  if (presented.size() != kApiKeyChars || !presented.starts_with(kApiKeyPrefix)) {
    return std::nullopt;
  }
  presented.remove_prefix(kApiKeyPrefix.size());
  const std::string_view id = presented.substr(0, kApiKeyIdChars);
  if (!IsApiKeyId(id) || presented[kApiKeyIdChars] != '_') return std::nullopt;
  const std::string_view secret = presented.substr(kApiKeyIdChars + 1);
  if (secret.size() != kApiKeySecretChars || !AllBase32(secret)) return std::nullopt;
  return ApiKeyParts{id, secret};
}

std::string FormatApiKey(std::string_view id, std::string_view secret) {
  std::string out;
  out.reserve(kApiKeyPrefix.size() + id.size() + 1 + secret.size());
  out.append(kApiKeyPrefix).append(id).append(1, '_').append(secret);
  return out;
}

StatusOr<ApiKeyDigest> DigestApiKey(std::string_view key_text) {
  static_assert(std::is_same_v<ApiKeyDigest, Sha256Bytes>);
  return Sha256Raw(key_text);
}

bool ApiKeyDigestsEqual(const ApiKeyDigest& a, const ApiKeyDigest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

StatusOr<std::string> GenerateApiKeyId() {
  // 8 bytes give 13 characters; the first 12 carry 60 random bits.
  INFERD_ASSIGN_OR_RETURN(std::string random, RandomBase32(8, kApiKeyIdRandomChars));
  return std::string(kApiKeyIdPrefix) + random;
}

StatusOr<std::string> GenerateApiKeyText(std::string_view id) {
  INFERD_ASSIGN_OR_RETURN(std::string secret, RandomBase32(32, kApiKeySecretChars));
  std::string text = FormatApiKey(id, secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  return text;
}

}  // namespace inferd
