#include "core/lifecycle/version_policy.h"

#include <algorithm>

namespace inferd {

std::vector<int64_t> SelectVersions(const inference::ModelVersionPolicy& policy,
                                    const std::vector<VersionDir>& present) {
  std::vector<int64_t> out;
  if (policy.has_all()) {
    for (const auto& v : present) out.push_back(v.version);
  } else if (policy.has_specific()) {
    out.assign(policy.specific().versions().begin(), policy.specific().versions().end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  } else {
    const uint32_t n = policy.has_latest() ? policy.latest().num_versions() : 1;
    for (auto it = present.rbegin(); it != present.rend() && out.size() < n; ++it) {
      out.push_back(it->version);
    }
    std::sort(out.begin(), out.end());
  }
  return out;
}

}  // namespace inferd
