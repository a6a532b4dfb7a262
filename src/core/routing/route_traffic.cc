#include "core/routing/route_traffic.h"

#include <random>

namespace inferd {
namespace {

uint32_t RandomBasisPoint() {
  thread_local std::minstd_rand generator{std::random_device{}()};
  return static_cast<uint32_t>(generator() % 10000);
}

}  // namespace

bool RouteTraffic::SampleShadow(std::string_view route, std::string_view variant) {
  if (shadows_ == nullptr || !routes_->AnyShadow()) return false;
  std::shared_ptr<const Route> found = routes_->Find(route);
  if (!found || !found->shadow.enabled() || found->shadow.variant == variant) return false;
  return RandomBasisPoint() < found->shadow.sample_bp;
}

void RouteTraffic::Finished(std::string_view route, std::string_view variant, RouteOutcome outcome,
                            std::chrono::nanoseconds latency) {
  if (stats_ != nullptr) stats_->Record(route, variant, outcome, latency);
}

void RouteTraffic::Mirror(std::string route, InferRequest request, std::vector<Tensor> primary) {
  // The route as it is now: a shadow removed since the request came is not fed.
  std::shared_ptr<const Route> found = routes_->Find(route);
  if (!found || !found->shadow.enabled() || shadows_ == nullptr) return;
  for (const RouteVariant& v : found->variants) {
    if (v.name == found->shadow.variant) {
      shadows_->Offer(route, v, found->shadow.timeout_ms, std::move(request), std::move(primary));
      return;
    }
  }
}

}  // namespace inferd
