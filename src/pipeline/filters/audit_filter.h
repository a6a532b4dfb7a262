// --audit-log FILE: every admin action (model control, labels, registry
// changes, uploads, keys) and every authentication failure, whatever the
// protocol, as one line of the hash-chained audit log
// (observability/audit_log.h): time, identity, client, action, target,
// outcome, request id. `inferd audit verify FILE` checks the chain.
//
// Ownership: shares the log (the server's own changes, a rollout's steps,
// are written to it too). Thread-safety: thread-safe (the log serializes).
#pragma once

#include <memory>

#include "observability/audit_log.h"
#include "pipeline/filter.h"

namespace inferd::pipeline {

class AuditFilter final : public Filter {
 public:
  explicit AuditFilter(std::shared_ptr<AuditLog> log) : log_(std::move(log)) {}
  void OnDone(const RequestContext& context, const Outcome& outcome) override;

 private:
  std::shared_ptr<AuditLog> log_;
};

}  // namespace inferd::pipeline
