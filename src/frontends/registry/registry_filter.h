// The subset of MLflow's search filter the registry understands: nothing
// (everything), name = 'x', name LIKE 'pattern' and name ILIKE 'pattern'
// ('%' any run of characters, '_' any one).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd::registry {

struct NameFilter {
  std::string exact;    // name = '...'
  std::string pattern;  // name LIKE '...'
  bool ignore_case = false;
  bool Matches(std::string_view name) const;
};

// INVALID_ARGUMENT for any other filter, saying what is supported.
StatusOr<NameFilter> ParseNameFilter(std::string_view filter);

}  // namespace inferd::registry
