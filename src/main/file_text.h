// A whole file as text, for the commands and start-up settings that read
// one (key files, routes files, uploads). Stateless; thread-safe.
#pragma once

#include <string>

#include "core/status.h"

namespace inferd {

// NOT_FOUND "cannot read <path>" when the file cannot be opened.
StatusOr<std::string> ReadFileText(const std::string& path);

}  // namespace inferd
