// GET /metrics: the core's Prometheus registry in the text exposition format.
#pragma once

#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::metrics {

// `core` must outlive the router.
void AddMetricsRoutes(ServerCore* core, http::Router& router);

}  // namespace inferd::metrics
