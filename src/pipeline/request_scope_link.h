// Between a request's pipeline context and the RequestScope its threads log
// with (observability/request_scope.h), for the HTTP router and the gRPC gate
// alike: the scope made once the request is admitted, and what the scope
// learnt while the request ran (the id its body named, the time its
// inferences took) brought back before the answer and the access log.
//
// Stateless functions; call them from the request's own thread(s), one at a
// time (as RequestContext requires).
#pragma once

#include <charconv>
#include <memory>
#include <string_view>

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

// Who served a request that named a route: calls add(name, value) for
// x-inferd-route, x-inferd-variant, x-inferd-model and x-inferd-model-version
// (never for a plain model). A visitor, not a list: every routed answer pays
// for these, and the caller's own container takes them without copies.
template <typename Add>
void AddServedByHeaders(const RequestScope& scope, Add&& add) {
  const auto served = scope.served_by();
  if (!served) return;
  add(std::string_view("x-inferd-route"), std::string_view(served->route));
  add(std::string_view("x-inferd-variant"), std::string_view(served->variant));
  add(std::string_view("x-inferd-model"), std::string_view(served->model));
  char version[24];
  const auto printed = std::to_chars(version, version + sizeof version, served->version);
  add(std::string_view("x-inferd-model-version"),
      std::string_view(version, static_cast<size_t>(printed.ptr - version)));
}

}  // namespace inferd::pipeline
