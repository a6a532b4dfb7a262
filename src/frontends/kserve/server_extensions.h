// The protocol extensions inferd's KServe v2 server metadata lists, over HTTP
// and gRPC alike (Triton's names).
#pragma once

#include <array>

namespace inferd::kserve {

inline constexpr std::array<const char*, 6> kServerExtensions = {
    "binary_tensor_data", "classification",       "model_configuration",
    "model_repository",   "system_shared_memory", "statistics"};

}  // namespace inferd::kserve
