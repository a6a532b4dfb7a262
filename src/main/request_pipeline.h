// Composes the request pipeline from the serve flags: the filters every
// request of every protocol runs through, in order, and what they need (the
// key store, the JWT verifier and its key file watcher or URL source, the rate
// buckets).
//
// Ownership: the result owns all of it; `admin_access` and `keys` point into
// it. Build once at start; everything is thread-safe after.
#pragma once

#include <memory>

#include "core/auth/api_key.h"
#include "core/scheduler/periodic_task.h"
#include "core/status.h"
#include "main/serve_command.h"
#include "observability/audit_log.h"
#include "pipeline/auth/failed_auth_throttle.h"
#include "pipeline/auth/jwks_url_source.h"
#include "pipeline/auth/jwt_verifier.h"
#include "pipeline/filters/admin_access_filter.h"
#include "pipeline/limits/bucket_store.h"
#include "pipeline/pipeline.h"

namespace inferd {

struct RequestPipeline {
  std::shared_ptr<pipeline::Pipeline> pipeline;
  const pipeline::AdminAccessFilter* admin_access = nullptr;
  // Null when API keys are off.
  std::shared_ptr<ApiKeyStore> keys;
  std::shared_ptr<auth::JwtVerifier> jwt;
  std::shared_ptr<limits::BucketStore> buckets;  // rate limits and failed authentications
  std::unique_ptr<pipeline::FailedAuthThrottle> failure_throttle;
  std::unique_ptr<PeriodicTask> jwks_watch;       // re-reads the JWKS file when it changes
  std::unique_ptr<auth::JwksUrlSource> jwks_url;  // fetches the keys at --jwt-jwks-url
  bool authenticates = false;
  std::shared_ptr<AuditLog> audit;  // null without --audit-log
};

StatusOr<RequestPipeline> BuildRequestPipeline(const ServeOptions& options);

}  // namespace inferd
