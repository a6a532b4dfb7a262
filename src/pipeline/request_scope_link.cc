#include "pipeline/request_scope_link.h"

namespace inferd::pipeline {

std::shared_ptr<RequestScope> MakeRequestScope(const RequestContext& context) {
  return std::make_shared<RequestScope>(context.request_id, context.request_id_from_client,
                                        context.trace.trace_id, context.trace.span_id);
}

void TakeNamedRequestId(RequestContext& context, const RequestScope& scope) {
  std::string id = scope.request_id();
  if (id == context.request_id) return;
  for (auto& [name, value] : context.response_headers) {
    if (name == "x-request-id" && value == context.request_id) value = id;
  }
  context.request_id = std::move(id);
}

void AddExecutionTimes(Outcome& outcome, const RequestScope& scope) {
  const auto execution = scope.execution();
  if (!execution) return;
  using Ms = std::chrono::duration<double, std::milli>;
  outcome.queue_ms = Ms(execution->queue).count();
  outcome.compute_ms = Ms(execution->compute).count();
}

}  // namespace inferd::pipeline
