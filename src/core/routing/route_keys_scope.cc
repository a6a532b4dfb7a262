#include "core/routing/route_keys_scope.h"

namespace inferd {
namespace {

thread_local const RouteKeyValues* t_keys = nullptr;

}  // namespace

const RouteKeyValues* CurrentRouteKeys() {
  return t_keys;
}

ScopedRouteKeys::ScopedRouteKeys(const RouteKeyValues* values) : previous_(t_keys) {
  t_keys = values;
}

ScopedRouteKeys::~ScopedRouteKeys() {
  t_keys = previous_;
}

}  // namespace inferd
