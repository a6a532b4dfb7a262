// SHA-256 digests (OpenSSL's libcrypto): of model files, for the registry's
// checksums, and raw, for the per-request hashes (API keys, a route's
// sticky buckets). Thread-safe.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd {

using Sha256Bytes = std::array<unsigned char, 32>;

// The 32-byte digest of `bytes`. Cheap enough per request: the algorithm is
// fetched once and each thread keeps its context (OpenSSL 3 looks up an
// implicit EVP_sha256(), or a one-shot SHA256(), again under a global lock
// on every call, which costs more than the hash of a short text).
// INTERNAL only when libcrypto fails.
StatusOr<Sha256Bytes> Sha256Raw(std::string_view bytes);

// "sha256:<64 hex digits>" of `bytes`.
std::string Sha256Digest(std::string_view bytes);
// The same of a file's contents, read in chunks; UNAVAILABLE when unreadable.
StatusOr<std::string> Sha256DigestOfFile(const std::filesystem::path& file);

}  // namespace inferd
