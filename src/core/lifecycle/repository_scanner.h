// Reads a model repository's layout from disk:
//   <root>/<model>/config.pbtxt          (optional)
//   <root>/<model>/<version>/<model file> (version: a positive integer)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace inferd {

struct VersionDir {
  int64_t version = 0;
  std::filesystem::path dir;
};

struct ModelDir {
  std::string name;
  std::filesystem::path dir;
  std::vector<VersionDir> versions;  // ascending
};

// Lists the models under `root` (sorted by name). Entries that are not
// directories, hidden names, and non-numeric version directories are skipped.
StatusOr<std::vector<ModelDir>> ScanRepository(const std::filesystem::path& root);

// Parses a version directory name: digits only, no sign, value in [1, 2^62].
bool ParseVersion(std::string_view text, int64_t& version);

}  // namespace inferd
