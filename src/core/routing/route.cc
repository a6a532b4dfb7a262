#include "core/routing/route.h"

#include <set>

namespace inferd {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

Status CheckName(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return InvalidArgument(std::string(what) + " must have 1 to 128 characters");
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return InvalidArgument(std::string(what) + " '" + std::string(name) +
                             "' may only use letters, digits, '_', '.' and '-'");
    }
  }
  return Status::Ok();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

StatusOr<RouteKey> RouteKey::Parse(std::string_view text) {
  RouteKey key;
  if (text.empty() || text == "random") return key;
  if (text == "identity") {
    key.source = Source::kIdentity;
    return key;
  }
  const size_t colon = text.find(':');
  const std::string_view kind = text.substr(0, colon);
  const std::string_view name = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if ((kind == "header" || kind == "query" || kind == "param") && !name.empty()) {
    for (char c : name) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == ':') {
        return InvalidArgument("a route key's name has no spaces, colons or controls: '" +
                               std::string(text) + "'");
      }
    }
    key.source = kind == "header"  ? Source::kHeader
                 : kind == "query" ? Source::kQuery
                                   : Source::kParam;
    // Headers and gRPC metadata keys compare in lower case.
    key.name = kind == "header" ? Lower(name) : std::string(name);
    return key;
  }
  return InvalidArgument(
      "a route key is random, identity, header:<name>, query:<name> or param:<name>, not '" +
      std::string(text) + "'");
}

std::string RouteKey::ToString() const {
  switch (source) {
    case Source::kRandom:
      return "random";
    case Source::kIdentity:
      return "identity";
    case Source::kHeader:
      return "header:" + name;
    case Source::kQuery:
      return "query:" + name;
    case Source::kParam:
      return "param:" + name;
  }
  return "random";
}

Status ValidateRoute(const Route& route) {
  INFERD_RETURN_IF_ERROR(CheckName("a route's name", route.name));
  // The salt is hashed before a 0x1f separator, which it must not contain.
  if (!route.salt.empty()) INFERD_RETURN_IF_ERROR(CheckName("a route's salt", route.salt));
  if (route.variants.empty()) return InvalidArgument("route '" + route.name + "' has no variants");
  if (route.variants.size() > kMaxRouteVariants) {
    return InvalidArgument("route '" + route.name + "' has more than " +
                           std::to_string(kMaxRouteVariants) + " variants");
  }
  std::set<std::string_view> names;
  uint64_t total = 0;
  for (const RouteVariant& v : route.variants) {
    INFERD_RETURN_IF_ERROR(CheckName("a variant's name", v.name));
    if (!names.insert(v.name).second) {
      return InvalidArgument("route '" + route.name + "' names variant '" + v.name + "' twice");
    }
    if (v.model.empty()) {
      return InvalidArgument("variant '" + v.name + "' of route '" + route.name +
                             "' names no model");
    }
    if (v.weight > kMaxVariantWeight) {
      return InvalidArgument("variant '" + v.name + "' weighs more than " +
                             std::to_string(kMaxVariantWeight));
    }
    total += v.weight;
  }
  if (total == 0) {
    return InvalidArgument("route '" + route.name + "' gives no variant a positive weight");
  }
  if (route.shadow.enabled()) {
    if (!names.contains(route.shadow.variant)) {
      return InvalidArgument("the shadow of route '" + route.name + "' names variant '" +
                             route.shadow.variant + "', which the route does not have");
    }
    if (route.shadow.sample_bp < 1 || route.shadow.sample_bp > 10000) {
      return InvalidArgument("a shadow's sample is a share from 0.0001 to 1");
    }
    if (route.shadow.timeout_ms > 600'000) {
      return InvalidArgument("a shadow's timeout_ms is at most 600000");
    }
  }
  return Status::Ok();
}

}  // namespace inferd
