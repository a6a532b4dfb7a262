// Reads a model repository's layout from disk:
//   <root>/<model>/config.pbtxt          (optional)
//   <root>/<model>/<version>/<model file> (version: a positive integer)
//
// Each version and config carries a fingerprint of the files under it (names,
// sizes, modification times), so a poller can tell a changed model from an
// unchanged one, and a file still being copied (its fingerprint moves) from a
// finished one.
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
  uint64_t fingerprint = 0;
};

struct ModelDir {
  std::string name;
  std::filesystem::path dir;
  std::vector<VersionDir> versions;  // ascending
  uint64_t config_fingerprint = 0;   // 0 when there is no config.pbtxt

  // Everything that, when it changes, calls for a reload.
  uint64_t Fingerprint() const;
};

// Lists the models under `root` (sorted by name). Entries that are not
// directories, names the API could not address (IsValidModelName), and
// non-numeric version directories are skipped,
// and so are version directories that hold no file yet (only hidden or
// temporary ones: *.tmp, *.part, *.partial), which a copy is still filling.
StatusOr<std::vector<ModelDir>> ScanRepository(const std::filesystem::path& root);

// The names of the repository's model directories (cheap: no fingerprints).
StatusOr<std::vector<std::string>> ListModelNames(const std::filesystem::path& root);

// One model of the repository; NOT_FOUND when its directory is missing.
StatusOr<ModelDir> ScanModel(const std::filesystem::path& root, std::string_view name);

// Parses a version directory name: digits only, no sign, value in [1, 2^62].
bool ParseVersion(std::string_view text, int64_t& version);

// A model name inferd accepts from an API: a plain directory name.
bool IsValidModelName(std::string_view name);

}  // namespace inferd
