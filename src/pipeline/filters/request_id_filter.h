// Gives every request an id: the client's X-Request-ID when it is a sane
// token, otherwise a new random one. The answer carries it back
// (X-Request-ID; gRPC metadata x-request-id) and log lines carry it.
// Stateless; thread-safe.
#pragma once

#include "pipeline/filter.h"

namespace inferd::pipeline {

class RequestIdFilter final : public Filter {
 public:
  std::optional<Refusal> OnCall(RequestContext& context) override;
  // Whether a client's id is kept: 1-200 visible ASCII characters.
  static bool IsAcceptable(std::string_view id);
};

}  // namespace inferd::pipeline
