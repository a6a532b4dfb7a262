#include "core/lifecycle/repository_scanner.h"

#include <algorithm>
#include <chrono>
#include <system_error>

namespace inferd {
namespace {

namespace fs = std::filesystem;

// FNV-1a: cheap, stable, and enough to notice a change.
void Mix(uint64_t& hash, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 1099511628211ull;
  }
}

bool IsTemporaryName(const std::string& name) {
  if (name.empty() || name[0] == '.') return true;
  for (const char* suffix : {".tmp", ".part", ".partial"}) {
    const std::string_view s(suffix);
    if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      return true;
    }
  }
  return false;
}

void MixFile(uint64_t& hash, const fs::path& path, const std::string& relative) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  Mix(hash, relative.data(), relative.size());
  Mix(hash, &size, sizeof size);
  Mix(hash, &mtime, sizeof mtime);
}

// The fingerprint of the regular files under `dir` (0 when there are none
// but temporary ones). Sorted, so directory order does not matter.
uint64_t DirectoryFingerprint(const fs::path& dir) {
  std::vector<std::pair<std::string, fs::path>> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (IsTemporaryName(name)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) {
      files.emplace_back(fs::relative(it->path(), dir, ec).string(), it->path());
    }
  }
  if (files.empty()) return 0;
  std::sort(files.begin(), files.end());
  uint64_t hash = 14695981039346656037ull;
  for (const auto& [relative, path] : files) MixFile(hash, path, relative);
  return hash == 0 ? 1 : hash;
}

ModelDir ReadModelDir(const fs::path& dir) {
  ModelDir model{dir.filename().string(), dir, {}, 0};
  std::error_code ec;
  const fs::path config = dir / "config.pbtxt";
  if (fs::is_regular_file(config, ec)) {
    uint64_t hash = 14695981039346656037ull;
    MixFile(hash, config, "config.pbtxt");
    model.config_fingerprint = hash == 0 ? 1 : hash;
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    int64_t version = 0;
    std::error_code vec;
    if (!entry.is_directory(vec)) continue;
    if (!ParseVersion(entry.path().filename().string(), version)) continue;
    const uint64_t fingerprint = DirectoryFingerprint(entry.path());
    if (fingerprint == 0) continue;  // still empty: a copy has not started
    model.versions.push_back({version, entry.path(), fingerprint});
  }
  std::sort(model.versions.begin(), model.versions.end(),
            [](const VersionDir& a, const VersionDir& b) { return a.version < b.version; });
  return model;
}

}  // namespace

uint64_t ModelDir::Fingerprint() const {
  uint64_t hash = 14695981039346656037ull;
  Mix(hash, &config_fingerprint, sizeof config_fingerprint);
  for (const VersionDir& v : versions) {
    Mix(hash, &v.version, sizeof v.version);
    Mix(hash, &v.fingerprint, sizeof v.fingerprint);
  }
  return hash;
}

bool ParseVersion(std::string_view text, int64_t& version) {
  if (text.empty() || text.size() > 18) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value <= 0) return false;
  version = value;
  return true;
}

bool IsValidModelName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

StatusOr<std::vector<ModelDir>> ScanRepository(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return NotFound("model repository '" + root.string() + "' is not a directory");
  }
  std::vector<ModelDir> models;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    std::error_code dec;
    if (name.empty() || name[0] == '.' || !entry.is_directory(dec)) continue;
    if (!IsValidModelName(name)) continue;  // the API could never address it
    models.push_back(ReadModelDir(entry.path()));
  }
  if (ec)
    return Unavailable("cannot read model repository '" + root.string() + "': " + ec.message());
  std::sort(models.begin(), models.end(),
            [](const ModelDir& a, const ModelDir& b) { return a.name < b.name; });
  return models;
}

StatusOr<std::vector<std::string>> ListModelNames(const fs::path& root) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    std::error_code dec;
    if (IsValidModelName(name) && entry.is_directory(dec)) names.push_back(name);
  }
  if (ec)
    return Unavailable("cannot read model repository '" + root.string() + "': " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

StatusOr<ModelDir> ScanModel(const fs::path& root, std::string_view name) {
  if (!IsValidModelName(name)) {
    return InvalidArgument("'" + std::string(name) + "' is not a valid model name");
  }
  std::error_code ec;
  const fs::path dir = root / std::string(name);
  if (!fs::is_directory(dir, ec)) {
    return NotFound("model '" + std::string(name) + "' is not in the model repository");
  }
  return ReadModelDir(dir);
}

}  // namespace inferd
