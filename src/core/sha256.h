// SHA-256 digests of model files (OpenSSL's libcrypto), for the registry's
// checksums.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd {

// "sha256:<64 hex digits>" of `bytes`.
std::string Sha256Digest(std::string_view bytes);
// The same of a file's contents, read in chunks; UNAVAILABLE when unreadable.
StatusOr<std::string> Sha256DigestOfFile(const std::filesystem::path& file);

}  // namespace inferd
