// --admin-api: who may call the routes that change what serves (model
// control, labels, registry changes, uploads, keys). "loopback" (the
// default) lets only this machine's clients; "on" everyone the other filters
// let through; "off" no one. Stateless; thread-safe.
#pragma once

#include "pipeline/filter.h"

namespace inferd::pipeline {

enum class AdminApiMode { kLoopback, kOn, kOff };

class AdminAccessFilter final : public Filter {
 public:
  explicit AdminAccessFilter(AdminApiMode mode) : mode_(mode) {}
  std::optional<Refusal> OnCall(RequestContext& context) override;
  // The same rule, for a server that must decide before routing (uploads'
  // larger body limit).
  bool Allows(bool client_is_loopback) const;

 private:
  AdminApiMode mode_;
};

}  // namespace inferd::pipeline
