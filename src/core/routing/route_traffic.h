// The core's RouteObserver as main composes it: per-variant statistics
// (core/routing/route_stats.h) for every routed request, and the sampled
// share of each route's requests handed to its shadow
// (core/routing/shadow_mirror.h).
//
// Ownership: borrows the table, the stats and the mirror, which outlive it.
// Thread-safety: thread-safe once attached; Attach before any request.
#pragma once

#include "core/routing/route_observer.h"
#include "core/routing/route_stats.h"
#include "core/routing/route_table.h"
#include "core/routing/shadow_mirror.h"

namespace inferd {

class RouteTraffic : public RouteObserver {
 public:
  explicit RouteTraffic(const RouteTable* routes) : routes_(routes) {}
  // The stats and the mirror live beside the core, so they come after it.
  void Attach(RouteStats* stats, ShadowMirror* shadows) {
    stats_ = stats;
    shadows_ = shadows;
  }

  bool SampleShadow(std::string_view route, std::string_view variant) override;
  void Finished(std::string_view route, std::string_view variant, RouteOutcome outcome,
                std::chrono::nanoseconds latency) override;
  void Mirror(std::string route, InferRequest request, std::vector<Tensor> primary) override;

 private:
  const RouteTable* routes_;
  RouteStats* stats_ = nullptr;
  ShadowMirror* shadows_ = nullptr;
};

}  // namespace inferd
