// What each variant of each route answered: requests by outcome and their
// latency, kept as Prometheus series (inferd_route_requests_total,
// inferd_route_request_duration_seconds) and read back as running totals,
// which a rollout's judgement subtracts into the window since its last one.
//
// Ownership: owns its series' handles; the registry owns the series.
// Thread-safety: thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/routing/route_observer.h"
#include "observability/metrics.h"

namespace inferd {

// Running totals of one variant, or (after Minus) of a window.
struct VariantTotals {
  uint64_t requests = 0;       // every outcome
  uint64_t caller_errors = 0;  // RouteOutcome::kCallerError
  uint64_t failures = 0;       // RouteOutcome::kFailure and kUnavailable
  // Cumulative counts per bound of RouteStats::LatencyBounds(), then +Inf,
  // of the requests that ran (callers' mistakes are not timed).
  std::vector<uint64_t> latency;

  VariantTotals Minus(const VariantTotals& earlier) const;
  // The requests a variant is judged on: those that were not a caller's mistake.
  uint64_t judged() const { return requests - std::min(requests, caller_errors); }
  double ErrorRate() const {
    return judged() == 0 ? 0.0 : static_cast<double>(failures) / judged();
  }
  // The upper bound of the bucket that holds the q-quantile, in seconds
  // (the largest bound for the +Inf bucket); nullopt without requests.
  std::optional<double> Quantile(double q) const;
};

class RouteStats {
 public:
  explicit RouteStats(MetricsRegistry* registry) : registry_(registry) {}

  void Record(std::string_view route, std::string_view variant, RouteOutcome outcome,
              std::chrono::nanoseconds latency);
  // Zero totals for a variant that has answered nothing yet.
  VariantTotals Totals(std::string_view route, std::string_view variant) const;

  // Finer than the model latency buckets: a p99 guard compares these.
  static const std::vector<double>& LatencyBounds();

 private:
  struct Series {
    Counter* ok = nullptr;
    Counter* client_errors = nullptr;
    Counter* failures = nullptr;
    Histogram* seconds = nullptr;
  };
  const Series* Find(std::string_view route, std::string_view variant) const;
  Series& FindOrAdd(std::string_view route, std::string_view variant);
  Series& FindOrAddLocked(std::string_view route, std::string_view variant);
  static uint64_t NextId();

  const uint64_t id_ = NextId();  // never reused, unlike an address

  MetricsRegistry* registry_;
  mutable std::shared_mutex mu_;
  // By route, then variant.
  std::map<std::string, std::map<std::string, std::unique_ptr<Series>, std::less<>>, std::less<>>
      series_;
};

}  // namespace inferd
