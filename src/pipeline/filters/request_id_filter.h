// Gives every request an id: the client's X-Request-ID when it is a sane
// token (RequestScope::IsAcceptableId), otherwise a new random one, which the
// id a KServe body names replaces later (RequestScope::AdoptNamedId). The
// answer carries it back (X-Request-ID; gRPC metadata x-request-id) and log
// lines carry it. Stateless; thread-safe.
#pragma once

#include "pipeline/filter.h"

namespace inferd::pipeline {

class RequestIdFilter final : public Filter {
 public:
  std::optional<Refusal> OnCall(RequestContext& context) override;
};

}  // namespace inferd::pipeline
