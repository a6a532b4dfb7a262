#include "pipeline/pipeline.h"

namespace inferd::pipeline {

std::string_view RouteKindName(RouteKind kind) {
  switch (kind) {
    case RouteKind::kHealth:
      return "health";
    case RouteKind::kMetrics:
      return "metrics";
    case RouteKind::kDocs:
      return "docs";
    case RouteKind::kRead:
      return "read";
    case RouteKind::kInfer:
      return "infer";
    case RouteKind::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Refusal> Pipeline::RunCall(RequestContext& context) const {
  for (const auto& filter : filters_) {
    if (auto refusal = filter->OnCall(context)) return refusal;
  }
  return std::nullopt;
}

std::optional<Refusal> Pipeline::RunTarget(RequestContext& context) const {
  for (const auto& filter : filters_) {
    if (auto refusal = filter->OnTarget(context)) return refusal;
  }
  return std::nullopt;
}

std::optional<Refusal> Pipeline::RunMessage(RequestContext& context) const {
  if (auto refusal = RunTarget(context)) return refusal;
  for (const auto& filter : filters_) {
    if (auto refusal = filter->OnMessage(context)) return refusal;
  }
  return std::nullopt;
}

void Pipeline::Done(const RequestContext& context, const Outcome& outcome) const {
  for (auto it = filters_.rbegin(); it != filters_.rend(); ++it) (*it)->OnDone(context, outcome);
}

}  // namespace inferd::pipeline
