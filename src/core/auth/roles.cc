#include "core/auth/roles.h"

namespace inferd {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kInfer:
      return "infer";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string RoleSet::ToString() const {
  std::string out;
  for (Role r : kAllRoles) {
    if (!Has(r)) continue;
    if (!out.empty()) out += ',';
    out += RoleName(r);
  }
  return out;
}

StatusOr<RoleSet> ParseRoleSet(std::string_view text) {
  RoleSet set;
  if (Trim(text).empty()) return set;
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view name = Trim(text.substr(0, comma));
    const std::optional<Role> role = ParseRole(name);
    if (!role) {
      return InvalidArgument("unknown role '" + std::string(name) +
                             "' (expected read, infer or admin)");
    }
    set.Add(*role);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return set;
}

}  // namespace inferd
