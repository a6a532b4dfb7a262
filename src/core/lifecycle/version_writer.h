// Writes model files into the repository so that a reader (the poller, a
// loader, another server) sees a version whole or not at all: files go to a
// hidden temporary directory beside the target, are flushed to disk (fsync),
// and the directory is renamed into place, then its parent is flushed.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace inferd {

struct VersionFile {
  std::string name;  // a plain file name
  std::string_view bytes;
};

// Creates <model_dir>/<version>/ holding `files`. ALREADY_EXISTS when that
// directory exists; nothing is left behind on failure.
Status WriteVersionDir(const std::filesystem::path& model_dir, int64_t version,
                       const std::vector<VersionFile>& files);

// Replaces `path` with `bytes` (temporary file, fsync, rename, fsync of the
// directory).
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace inferd
