// The OpenAPI 3 document for inferd's HTTP surface, compiled in from
// openapi.json beside this file (CMake generates the definition).
#pragma once

#include <string_view>

namespace inferd::openapi {

std::string_view Document();

}  // namespace inferd::openapi
