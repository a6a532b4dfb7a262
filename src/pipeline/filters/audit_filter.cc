#include "pipeline/filters/audit_filter.h"

#include "observability/log.h"

namespace inferd::pipeline {
namespace {

constexpr int kGrpcUnauthenticated = 16;
constexpr int kGrpcOk = 0;

bool IsAuthenticationFailure(const Outcome& outcome) {
  return outcome.status_space == "grpc" ? outcome.status == kGrpcUnauthenticated
                                        : outcome.status == 401;
}

bool Succeeded(const Outcome& outcome) {
  return outcome.status_space == "grpc" ? outcome.status == kGrpcOk
                                        : outcome.status >= 200 && outcome.status < 300;
}

}  // namespace

void AuditFilter::OnDone(const RequestContext& context, const Outcome& outcome) {
  const bool admin = context.kind == RouteKind::kAdmin;
  const bool failed_login = IsAuthenticationFailure(outcome);
  if (!admin && !failed_login) return;
  AuditEvent event;
  event.identity = context.identity.Label();
  event.client = context.client_address;
  event.action = failed_login ? "authenticate"
                              : std::string(context.protocol) + " " + std::string(context.method) +
                                    " " + context.route;
  event.target = context.model;
  event.outcome = (Succeeded(outcome) ? "ok " : "refused ") + std::string(outcome.status_space) +
                  " " + std::to_string(outcome.status);
  event.request_id = context.request_id;
  if (failed_login) {
    event.detail =
        std::string(context.protocol) + " " + std::string(context.method) + " " + context.route;
  }
  if (Status written = log_->Append(event); !written.ok()) {
    // The request is already answered; an audit line that cannot be written
    // is an operator's problem, loudly.
    LogError("cannot write the audit log", {{"reason", written.message()},
                                            {"action", event.action},
                                            {"request_id", event.request_id}});
  }
}

}  // namespace inferd::pipeline
