#include "core/lifecycle/repository_scanner.h"

#include <algorithm>
#include <system_error>

namespace inferd {

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

StatusOr<std::vector<ModelDir>> ScanRepository(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return NotFound("model repository '" + root.string() + "' is not a directory");
  }
  std::vector<ModelDir> models;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_directory(ec)) continue;
    ModelDir model{name, entry.path(), {}};
    std::error_code vec;
    for (const auto& ventry : fs::directory_iterator(entry.path(), vec)) {
      int64_t version = 0;
      if (!ventry.is_directory(vec)) continue;
      if (!ParseVersion(ventry.path().filename().string(), version)) continue;
      model.versions.push_back({version, ventry.path()});
    }
    std::sort(model.versions.begin(), model.versions.end(),
              [](const VersionDir& a, const VersionDir& b) { return a.version < b.version; });
    models.push_back(std::move(model));
  }
  if (ec)
    return Unavailable("cannot read model repository '" + root.string() + "': " + ec.message());
  std::sort(models.begin(), models.end(),
            [](const ModelDir& a, const ModelDir& b) { return a.name < b.name; });
  return models;
}

}  // namespace inferd
