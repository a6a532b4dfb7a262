// The subset of MLflow's search filter the registry understands: clauses
// joined by AND, each one of
//   name = 'x'    name != 'x'    name LIKE 'p%'    name ILIKE 'p%'
//   tag.key = 'v' tag.key != 'v' (also tags.key, and `key` in backquotes)
// ('%' any run of characters, '_' any one). A model or version without the
// tag matches "!=" (MLflow's own clients filter out prompts that way).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace inferd::registry {

struct FilterClause {
  enum class Op { kEquals, kNotEquals, kLike, kILike };
  bool on_tag = false;  // else on the name
  std::string tag;      // the tag's key
  Op op = Op::kEquals;
  std::string value;
};

struct RegistryFilter {
  std::vector<FilterClause> clauses;  // all must hold
  // The name an "name = 'x'" clause asks for ("" when none): a cheaper lookup.
  std::string ExactName() const;
  bool Matches(std::string_view name, const std::map<std::string, std::string>& tags) const;
};

// INVALID_ARGUMENT for any other filter, saying what is supported.
StatusOr<RegistryFilter> ParseRegistryFilter(std::string_view filter);

}  // namespace inferd::registry
