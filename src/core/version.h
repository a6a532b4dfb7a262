#pragma once

namespace inferd {
// The release version; CMake keeps it in step with project(VERSION).
inline constexpr const char* kInferdVersion = INFERD_VERSION;
}  // namespace inferd
