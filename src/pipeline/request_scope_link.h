// Between a request's pipeline context and the RequestScope its threads log
// with (observability/request_scope.h), for the HTTP router and the gRPC gate
// alike: the scope made once the request is admitted, and what the scope
// learnt while the request ran (the id its body named, the time its
// inferences took) brought back before the answer and the access log.
//
// Stateless functions; call them from the request's own thread(s), one at a
// time (as RequestContext requires).
#pragma once

#include <memory>

#include "observability/request_scope.h"
#include "pipeline/request_context.h"

namespace inferd::pipeline {

// The scope of an admitted request: its id (and whether the client chose
// it) and its trace.
std::shared_ptr<RequestScope> MakeRequestScope(const RequestContext& context);

// When the body named the request (KServe's `id`), the context and its
// X-Request-ID answer header take that id.
void TakeNamedRequestId(RequestContext& context, const RequestScope& scope);

// The queue and compute time of the request's inferences, if it ran any.
void AddExecutionTimes(Outcome& outcome, const RequestScope& scope);

// Who served a request that named a route: x-inferd-route, x-inferd-variant,
// x-inferd-model and x-inferd-model-version (none for a plain model).
HeaderList ServedByHeaders(const RequestScope& scope);

}  // namespace inferd::pipeline
