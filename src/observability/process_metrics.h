// The standard Prometheus process metrics (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_start_time_seconds), read from /proc at scrape.
#pragma once

#include "observability/metrics.h"

namespace inferd {

void AddProcessMetrics(MetricsRegistry& registry);

}  // namespace inferd
