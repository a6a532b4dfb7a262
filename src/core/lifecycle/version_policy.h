// Which versions of a model serve: Triton's version_policy (latest N, all,
// specific) applied to the versions present on disk.
#pragma once

#include <cstdint>
#include <vector>

#include "core/lifecycle/repository_scanner.h"
#include "model_config.pb.h"

namespace inferd {

// The versions `policy` selects from `present` (ascending). A specific
// version that is not present is still returned: it is reported missing.
std::vector<int64_t> SelectVersions(const inference::ModelVersionPolicy& policy,
                                    const std::vector<VersionDir>& present);

}  // namespace inferd
