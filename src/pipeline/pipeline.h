// The ordered filter chain every request of every protocol runs through: the
// HTTP server runs it before routing to a translator, the gRPC server through
// one interceptor (see frontends/grpc/pipeline_interceptor.h).
//
// Ownership: owns its filters. Thread-safety: filters are added before
// serving starts; after that every method is thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "pipeline/filter.h"

namespace inferd::pipeline {

class Pipeline {
 public:
  void Add(std::unique_ptr<Filter> filter) { filters_.push_back(std::move(filter)); }

  // Each runs the filters in order and stops at the first refusal.
  std::optional<Refusal> RunCall(RequestContext& context) const;
  std::optional<Refusal> RunTarget(RequestContext& context) const;
  // A stream's further message: OnTarget (its model) then OnMessage.
  std::optional<Refusal> RunMessage(RequestContext& context) const;
  // Every filter's OnDone, in reverse order.
  void Done(const RequestContext& context, const Outcome& outcome) const;

 private:
  std::vector<std::unique_ptr<Filter>> filters_;
};

}  // namespace inferd::pipeline
