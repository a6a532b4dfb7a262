// The sticky-key values of the request being handled on this thread: the
// HTTP router and the gRPC gate install them around a handler, the core
// reads them when it resolves a route (ServerCore::GetModel). The values
// are borrowed from the request and valid only while installed.
//
// Thread-local; a stack object, destroyed on the thread that made it.
#pragma once

#include "core/routing/route_table.h"

namespace inferd {

// The installed values, or null.
const RouteKeyValues* CurrentRouteKeys();

class ScopedRouteKeys {
 public:
  explicit ScopedRouteKeys(const RouteKeyValues* values);
  ~ScopedRouteKeys();
  ScopedRouteKeys(const ScopedRouteKeys&) = delete;
  ScopedRouteKeys& operator=(const ScopedRouteKeys&) = delete;

 private:
  const RouteKeyValues* previous_;
};

}  // namespace inferd
