#include "core/routing/route_stats.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <mutex>

namespace inferd {

VariantTotals VariantTotals::Minus(const VariantTotals& earlier) const {
  VariantTotals out;
  // Totals only grow; a window never goes below zero even when `earlier`
  // was read from another process's totals.
  out.requests = requests - std::min(requests, earlier.requests);
  out.caller_errors = caller_errors - std::min(caller_errors, earlier.caller_errors);
  out.failures = failures - std::min(failures, earlier.failures);
  out.latency = latency;
  for (size_t i = 0; i < out.latency.size() && i < earlier.latency.size(); ++i) {
    out.latency[i] -= std::min(out.latency[i], earlier.latency[i]);
  }
  return out;
}

std::optional<double> VariantTotals::Quantile(double q) const {
  if (latency.empty() || latency.back() == 0) return std::nullopt;
  const auto& bounds = RouteStats::LatencyBounds();
  const double rank = std::ceil(q * static_cast<double>(latency.back()));
  for (size_t i = 0; i < latency.size(); ++i) {
    if (static_cast<double>(latency[i]) >= rank) {
      return i < bounds.size() ? bounds[i] : bounds.back();
    }
  }
  return bounds.back();
}

uint64_t RouteStats::NextId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

const std::vector<double>& RouteStats::LatencyBounds() {
  // About 25% apart from 0.1 ms to 30 s, so a p99 guard reads within a quarter.
  static const std::vector<double> kBounds = [] {
    std::vector<double> bounds;
    for (double b = 0.0001; b < 30.0; b *= 1.25) bounds.push_back(std::round(b * 1e6) / 1e6);
    bounds.push_back(30.0);
    return bounds;
  }();
  return kBounds;
}

const RouteStats::Series* RouteStats::Find(std::string_view route, std::string_view variant) const {
  std::shared_lock lock(mu_);
  auto by_route = series_.find(route);
  if (by_route == series_.end()) return nullptr;
  auto it = by_route->second.find(variant);
  return it == by_route->second.end() ? nullptr : it->second.get();
}

RouteStats::Series& RouteStats::FindOrAdd(std::string_view route, std::string_view variant) {
  // The last few series this thread recorded to, without the shared lock's
  // atomics: every routed request records, from every I/O and model thread.
  // Series are never removed, so a cached pointer stays valid; `id_` tells
  // this object from another at the same address.
  struct Cached {
    uint64_t owner = 0;
    std::string route, variant;
    Series* series = nullptr;
  };
  thread_local std::array<Cached, 4> cache;
  thread_local size_t next = 0;
  for (const Cached& c : cache) {
    if (c.owner == id_ && c.series != nullptr && c.route == route && c.variant == variant) {
      return *c.series;
    }
  }
  Series& found = FindOrAddLocked(route, variant);
  cache[next] = {id_, std::string(route), std::string(variant), &found};
  next = (next + 1) % cache.size();
  return found;
}

RouteStats::Series& RouteStats::FindOrAddLocked(std::string_view route, std::string_view variant) {
  if (const Series* found = Find(route, variant)) return const_cast<Series&>(*found);
  std::unique_lock lock(mu_);
  auto& slot = series_[std::string(route)][std::string(variant)];
  if (slot) return *slot;
  slot = std::make_unique<Series>();
  const std::string help = "Requests a route sent to each variant, by outcome.";
  auto counter = [&](const char* outcome) {
    return &registry_->GetCounter(
        "inferd_route_requests_total", help,
        {{"route", std::string(route)}, {"variant", std::string(variant)}, {"outcome", outcome}});
  };
  slot->ok = counter("success");
  slot->client_errors = counter("client_error");
  slot->failures = counter("failure");
  slot->seconds = &registry_->GetHistogram(
      "inferd_route_request_duration_seconds",
      "Time from a routed request's arrival in the core to its answer, by route and variant.",
      {{"route", std::string(route)}, {"variant", std::string(variant)}}, LatencyBounds());
  return *slot;
}

void RouteStats::Record(std::string_view route, std::string_view variant, RouteOutcome outcome,
                        std::chrono::nanoseconds latency) {
  Series& series = FindOrAdd(route, variant);
  switch (outcome) {
    case RouteOutcome::kSuccess:
      series.ok->Increment();
      break;
    case RouteOutcome::kCallerError:
      series.client_errors->Increment();
      break;
    case RouteOutcome::kFailure:
    case RouteOutcome::kUnavailable:
      series.failures->Increment();
      break;
  }
  // A refused request never ran: its time says nothing of the variant's speed.
  if (outcome == RouteOutcome::kSuccess || outcome == RouteOutcome::kFailure) {
    series.seconds->Observe(std::chrono::duration<double>(latency).count());
  }
}

VariantTotals RouteStats::Totals(std::string_view route, std::string_view variant) const {
  VariantTotals totals;
  const Series* series = Find(route, variant);
  if (series == nullptr) {
    totals.latency.assign(LatencyBounds().size() + 1, 0);
    return totals;
  }
  const auto count = [](const Counter* c) { return static_cast<uint64_t>(c->value()); };
  totals.failures = count(series->failures);
  totals.caller_errors = count(series->client_errors);
  totals.requests = count(series->ok) + totals.caller_errors + totals.failures;
  totals.latency = series->seconds->CumulativeCounts();
  return totals;
}

}  // namespace inferd
