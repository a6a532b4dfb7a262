// API keys: their roles, records, text format and the interface of the store
// that keeps them. The core owns this interface; the SQLite implementation
// lives in storage/ (SqliteApiKeyStore) and is handed to the core by main.
//
// A key as a client presents it is `ik_<id>_<secret>`:
//   <id>     "k_" + 12 lowercase base32 characters (60 random bits); public,
//            shown by List and in logs, and the store's lookup key.
//   <secret> 52 lowercase base32 characters: 32 bytes (256 bits) from
//            OpenSSL's RAND_bytes.
// Stores keep only SHA-256 of the whole key text, never the text itself. A
// 256-bit random secret needs no slow (password) hash: nobody can guess it,
// so the digest only has to keep a stolen database from yielding keys.
// Digests are compared in constant time.
//
// The functions here are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/roles.h"
#include "core/status.h"

namespace inferd {

// One key as stored; never holds its secret or the secret's digest.
struct ApiKeyRecord {
  std::string id;    // public, "k_" + 12 base32 characters
  std::string name;  // a label for people; not unique
  RoleSet roles;
  // Model names or glob patterns ('*' any run, '?' one character) the key
  // may use. EMPTY MEANS ALL MODELS (as does "*"); a key for no models has
  // no use, so it cannot be expressed.
  std::vector<std::string> models;
  std::optional<int64_t> expires_at_unix;  // refused from this second on
  int64_t created_at_unix = 0;
  // The last successful Authenticate, to within kLastUsedGranularitySeconds.
  std::optional<int64_t> last_used_unix;
  bool revoked = false;
  std::optional<int64_t> revoked_at_unix;  // set exactly when revoked
};

// What Create needs from an administrator.
struct NewApiKey {
  std::string name;
  RoleSet roles;
  std::vector<std::string> models;  // empty: all models
  std::optional<int64_t> expires_at_unix;
};

// The rules every store applies in Create: a name of 1..128 bytes and
// patterns of 1..256 bytes (at most 256 of them), none with control
// characters; at least one role; an expiry, if any, after `now_unix`.
Status ValidateNewApiKey(const NewApiKey& spec, int64_t now_unix);

// Glob match of the whole `model`: '*' matches any run (also empty), '?'
// exactly one byte, anything else itself (case-sensitive). No escapes.
// Linear in practice, O(|pattern| * |model|) at worst.
bool ModelPatternMatches(std::string_view pattern, std::string_view model);
// Whether the key's model list lets it use `model` (see ApiKeyRecord::models).
// Checks nothing else: revocation and expiry are Authenticate's job.
bool KeyAllowsModel(const ApiKeyRecord& key, std::string_view model);

// Key text format.
inline constexpr std::string_view kApiKeyPrefix = "ik_";
inline constexpr std::string_view kApiKeyIdPrefix = "k_";
inline constexpr size_t kApiKeyIdRandomChars = 12;
inline constexpr size_t kApiKeySecretChars = 52;  // base32 of 32 bytes, unpadded
inline constexpr size_t kApiKeyIdChars = kApiKeyIdPrefix.size() + kApiKeyIdRandomChars;
inline constexpr size_t kApiKeyChars =
    kApiKeyPrefix.size() + kApiKeyIdChars + 1 + kApiKeySecretChars;  // 70

// Views into the presented text.
struct ApiKeyParts {
  std::string_view id;
  std::string_view secret;
};
// Splits `ik_<id>_<secret>` exactly: lengths and alphabet (lowercase
// base32) are checked, nothing is trimmed. nullopt: a malformed key.
std::optional<ApiKeyParts> ParseApiKey(std::string_view presented);
// Whether `id` has the form of a key id ("k_" + 12 base32 characters).
bool IsApiKeyId(std::string_view id);
std::string FormatApiKey(std::string_view id, std::string_view secret);

using ApiKeyDigest = std::array<unsigned char, 32>;
// SHA-256 of the whole key text, as stores keep it; INTERNAL if OpenSSL
// fails (never a made-up digest that could match another).
StatusOr<ApiKeyDigest> DigestApiKey(std::string_view key_text);
// Constant-time equality (CRYPTO_memcmp).
bool ApiKeyDigestsEqual(const ApiKeyDigest& a, const ApiKeyDigest& b);

// A fresh random id; INTERNAL when the system's random source fails.
StatusOr<std::string> GenerateApiKeyId();
// A fresh key text for `id`; INTERNAL when the random source fails.
StatusOr<std::string> GenerateApiKeyText(std::string_view id);

// Authenticate's refusals carry one of these messages, all with
// UNAUTHENTICATED; a wrong secret for a known id reads as unknown so the
// message never confirms an id exists. Callers choose what clients see.
inline constexpr std::string_view kMalformedKey = "malformed key";
inline constexpr std::string_view kUnknownKey = "unknown key";
inline constexpr std::string_view kRevokedKey = "revoked key";
inline constexpr std::string_view kExpiredKey = "expired key";

// Where API keys live.
//
// Thread-safety: implementations make every method thread-safe, and a
// change (Rotate, Revoke) made through any instance on the same backing
// data - in this process or another replica - takes effect for the next
// Authenticate that starts after it returned.
class ApiKeyStore {
 public:
  // last_used is written at most once per this many seconds per key, so
  // authentication is not a write per request.
  static constexpr int64_t kLastUsedGranularitySeconds = 60;

  virtual ~ApiKeyStore() = default;

  // Stores a new key (ValidateNewApiKey's rules: INVALID_ARGUMENT) and sets
  // `*secret_out` to the full key text `ik_<id>_<secret>`: the only time it
  // is ever available.
  virtual StatusOr<ApiKeyRecord> Create(const NewApiKey& spec, std::string* secret_out) = 0;
  // All keys, revoked ones too, oldest first.
  virtual StatusOr<std::vector<ApiKeyRecord>> List() = 0;
  // NOT_FOUND for an unknown id.
  virtual StatusOr<ApiKeyRecord> Get(std::string_view id) = 0;
  // A new key text for the same id; the old one stops working. NOT_FOUND
  // for an unknown id, FAILED_PRECONDITION for a revoked key.
  virtual StatusOr<std::string> Rotate(std::string_view id) = 0;
  // Permanent. OK when already revoked (keeping the first time); NOT_FOUND
  // for an unknown id.
  virtual Status Revoke(std::string_view id) = 0;
  // The record of the key `presented_secret` (the full key text), or
  // UNAUTHENTICATED with kMalformedKey, kUnknownKey, kRevokedKey or
  // kExpiredKey. UNAVAILABLE when the backing data cannot be read: never OK
  // then (fail closed). Notes the use in last_used_unix (best effort).
  virtual StatusOr<ApiKeyRecord> Authenticate(std::string_view presented_secret,
                                              int64_t now_unix) = 0;
};

}  // namespace inferd
