// Roles an identity may hold, per model: read (metadata, status,
// statistics), infer, admin (model control, labels, registry, uploads,
// keys). Plain value types and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd {

// What a key may do. Roles are independent: admin does not imply infer or
// read; whoever checks a request decides which role it needs.
enum class Role : uint8_t { kRead = 0, kInfer = 1, kAdmin = 2 };
inline constexpr Role kAllRoles[] = {Role::kRead, Role::kInfer, Role::kAdmin};

// "read", "infer", "admin".
std::string_view RoleName(Role role);
// The role named exactly (lowercase) `name`; nullopt for anything else.
std::optional<Role> ParseRole(std::string_view name);

// A set of roles as a bitset.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) Add(r);
  }
  // Keeps only the bits of known roles, so a newer writer's roles grant
  // nothing here.
  static constexpr RoleSet FromBits(uint32_t bits) {
    RoleSet s;
    s.bits_ = static_cast<uint8_t>(bits & kKnownBits);
    return s;
  }

  constexpr bool Has(Role r) const { return (bits_ & Bit(r)) != 0; }
  constexpr void Add(Role r) { bits_ |= Bit(r); }
  constexpr void Remove(Role r) { bits_ &= static_cast<uint8_t>(~Bit(r)); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr uint8_t bits() const { return bits_; }
  constexpr bool operator==(const RoleSet&) const = default;

  // Comma-separated names in the order read, infer, admin ("" when empty).
  std::string ToString() const;

 private:
  static constexpr uint8_t Bit(Role r) { return static_cast<uint8_t>(1u << static_cast<int>(r)); }
  static constexpr uint8_t kKnownBits = 0b111;
  uint8_t bits_ = 0;
};

// "read,infer" and the like; INVALID_ARGUMENT for an unknown or empty name.
// An empty string is the empty set. Spaces around names are allowed.
StatusOr<RoleSet> ParseRoleSet(std::string_view comma_separated);

}  // namespace inferd
