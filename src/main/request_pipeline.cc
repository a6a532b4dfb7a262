#include "main/request_pipeline.h"

#include <filesystem>

#include "main/file_text.h"
#include "observability/audit_log.h"
#include "observability/log.h"
#include "pipeline/auth/authentication_filter.h"
#include "pipeline/auth/authorization_filter.h"
#include "pipeline/filters/access_log_filter.h"
#include "pipeline/filters/audit_filter.h"
#include "pipeline/filters/request_id_filter.h"
#include "pipeline/filters/trace_context_filter.h"
#include "pipeline/limits/local_bucket_store.h"
#include "pipeline/limits/rate_limit_filter.h"
#include "storage/sqlite_api_key_store.h"

namespace inferd {
namespace {

namespace fs = std::filesystem;

StatusOr<std::shared_ptr<const auth::JwkSet>> ReadJwks(const std::string& path) {
  INFERD_ASSIGN_OR_RETURN(std::string text, ReadFileText(path));
  auto parsed = auth::JwkSet::Parse(text);
  if (!parsed.ok()) return InvalidArgument(path + ": " + parsed.status().message());
  return std::make_shared<const auth::JwkSet>(std::move(parsed).value());
}

std::filesystem::file_time_type ModifiedTime(const std::string& path) {
  std::error_code ec;
  auto t = fs::last_write_time(path, ec);
  return ec ? fs::file_time_type{} : t;
}

Status AddJwt(const ServeOptions& o, RequestPipeline& built) {
  if (o.jwt_audiences.empty()) return InvalidArgument("--jwt-issuer needs --jwt-audience");
  if (o.jwt_hs256_secret_file.empty() && o.jwt_jwks_file.empty() && o.jwt_jwks_url.empty()) {
    return InvalidArgument(
        "--jwt-issuer needs --jwt-hs256-secret-file, --jwt-jwks-file or --jwt-jwks-url");
  }
  if (!o.jwt_jwks_file.empty() && !o.jwt_jwks_url.empty()) {
    return InvalidArgument("--jwt-jwks-file and --jwt-jwks-url exclude each other");
  }
  auth::JwtPolicy policy;
  policy.issuer = o.jwt_issuer;
  policy.audiences = o.jwt_audiences;
  policy.leeway = std::chrono::seconds(o.jwt_leeway_secs);
  policy.roles_claim = o.jwt_roles_claim;
  policy.models_claim = o.jwt_models_claim;
  std::optional<auth::HmacKey> hmac;
  if (!o.jwt_hs256_secret_file.empty()) {
    INFERD_ASSIGN_OR_RETURN(std::string secret, ReadFileText(o.jwt_hs256_secret_file));
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    auto key = auth::HmacKey::FromSecret(std::move(secret));
    if (!key.ok()) return InvalidArgument(o.jwt_hs256_secret_file + ": " + key.status().message());
    hmac = std::move(key).value();
  }
  std::shared_ptr<const auth::JwkSet> jwks;
  if (!o.jwt_jwks_file.empty()) {
    auto read = ReadJwks(o.jwt_jwks_file);
    if (!read.ok()) return read.status();
    jwks = std::move(read).value();
  }
  // Keys at a URL arrive once fetched; none until then.
  if (!o.jwt_jwks_url.empty()) jwks = std::make_shared<const auth::JwkSet>();
  auto verifier = auth::JwtVerifier::Create(policy, std::move(hmac), jwks);
  if (!verifier.ok()) return verifier.status();
  built.jwt = std::move(verifier).value();
  if (!o.jwt_jwks_url.empty()) {
    auth::JwksUrlSource::Options source;
    source.url = o.jwt_jwks_url;
    source.fetch.ca_file = o.jwt_jwks_ca;
    source.refresh = std::chrono::seconds(o.jwt_jwks_refresh_secs);
    auto started = auth::JwksUrlSource::Start(std::move(source), built.jwt);
    if (!started.ok()) return InvalidArgument("--jwt-jwks-url: " + started.status().message());
    built.jwks_url = std::move(started).value();
  }
  if (!o.jwt_jwks_file.empty()) {
    // Keys rotate at the issuer: pick up a changed file within two seconds.
    // A file that does not parse keeps the keys in use (and says why).
    auto seen = std::make_shared<fs::file_time_type>(ModifiedTime(o.jwt_jwks_file));
    std::weak_ptr<auth::JwtVerifier> verifier_ref = built.jwt;
    built.jwks_watch = std::make_unique<PeriodicTask>(
        std::chrono::seconds(2), [path = o.jwt_jwks_file, seen, verifier_ref] {
          const auto modified = ModifiedTime(path);
          if (modified == *seen) return;
          *seen = modified;
          auto keys = ReadJwks(path);
          auto target = verifier_ref.lock();
          if (!keys.ok() || !target) {
            LogWarn("keeping the JWT keys in use",
                    {{"file", path}, {"reason", keys.ok() ? "" : keys.status().message()}});
            return;
          }
          target->SetJwks(std::move(keys).value());
          LogInfo("JWT keys re-read", {{"file", path}});
        });
  }
  return Status::Ok();
}

}  // namespace

StatusOr<RequestPipeline> BuildRequestPipeline(const ServeOptions& o) {
  RequestPipeline built;
  built.pipeline = std::make_shared<pipeline::Pipeline>();
  pipeline::Pipeline& chain = *built.pipeline;

  if (o.api_keys) {
    const fs::path db = !o.keys_db.empty() ? fs::path(o.keys_db)
                        : !o.registry_db.empty()
                            ? fs::path(o.registry_db)
                            : fs::path(o.model_repository) / ".inferd-registry.db";
    auto store = SqliteApiKeyStore::Open(db);
    // Fail closed: a server told to check keys does not start without them.
    if (!store.ok())
      return Unavailable("cannot open the key database: " + store.status().message());
    built.keys = std::move(store).value();
  }
  if (!o.jwt_issuer.empty()) INFERD_RETURN_IF_ERROR(AddJwt(o, built));
  std::optional<RoleSet> certificate_roles;
  if (!o.tls_client_roles.empty()) {
    auto roles = ParseRoleSet(o.tls_client_roles);
    if (!roles.ok()) return InvalidArgument("--tls-client-roles: " + roles.status().message());
    certificate_roles = *roles;
  }
  built.authenticates = built.keys || built.jwt || certificate_roles;

  // Ids first, so every later refusal and log line carries them; the logs
  // next, so their OnDone (run last to first) sees every other filter's work.
  chain.Add(std::make_unique<pipeline::RequestIdFilter>());
  chain.Add(std::make_unique<pipeline::TraceContextFilter>());
  if (!o.access_log.empty()) {
    auto access_log = pipeline::AccessLogFilter::Open(o.access_log);
    if (!access_log.ok()) return access_log.status();
    chain.Add(std::move(access_log).value());
  }
  if (!o.audit_log.empty()) {
    auto audit = AuditLog::Open(o.audit_log);
    if (!audit.ok()) {
      return Unavailable("cannot open the audit log " + o.audit_log + ": " +
                         audit.status().message());
    }
    built.audit = std::move(audit).value();
    chain.Add(std::make_unique<pipeline::AuditFilter>(built.audit));
  }
  if (built.authenticates || o.rate_limit > 0 || o.concurrency_limit > 0) {
    built.buckets = std::make_shared<limits::LocalBucketStore>();
  }
  if (built.authenticates && o.auth_failure_limit > 0) {
    // Ten seconds' worth at once: a client with a stale key notices, a
    // guesser is slowed to the rate.
    const limits::BucketSpec spec{o.auth_failure_limit, std::max(1.0, 10 * o.auth_failure_limit)};
    INFERD_RETURN_IF_ERROR(limits::ValidateBucketSpec(spec));
    built.failure_throttle =
        std::make_unique<pipeline::FailedAuthThrottle>(built.buckets.get(), spec);
  }
  if (built.authenticates) {
    pipeline::AuthenticationOptions auth;
    auth.keys = built.keys.get();
    auth.jwt = built.jwt.get();
    if (built.jwks_url) {
      auth.refetch_jwks = [source = built.jwks_url.get()](uint64_t seen) {
        return source->RefetchForUnknownKid(seen);
      };
    }
    auth.certificate_roles = certificate_roles;
    auth.protect_metrics = o.protect_metrics;
    auth.failure_throttle = built.failure_throttle.get();
    chain.Add(std::make_unique<pipeline::AuthenticationFilter>(auth));
  }
  if (o.rate_limit > 0 || o.concurrency_limit > 0) {
    pipeline::RateLimitOptions limits;
    if (o.rate_limit > 0) {
      const double burst = o.rate_burst > 0 ? o.rate_burst : std::max(1.0, o.rate_limit);
      limits.per_identity = limits::BucketSpec{o.rate_limit, burst};
      INFERD_RETURN_IF_ERROR(limits::ValidateBucketSpec(*limits.per_identity));
    }
    limits.per_model = o.rate_limit_per_model;
    limits.concurrency = o.concurrency_limit;
    chain.Add(std::make_unique<pipeline::RateLimitFilter>(limits, built.buckets.get()));
  }
  const auto mode = o.admin_api == "on"    ? pipeline::AdminApiMode::kOn
                    : o.admin_api == "off" ? pipeline::AdminApiMode::kOff
                                           : pipeline::AdminApiMode::kLoopback;
  auto admin = std::make_unique<pipeline::AdminAccessFilter>(mode);
  built.admin_access = admin.get();
  chain.Add(std::move(admin));
  if (built.authenticates) {
    chain.Add(std::make_unique<pipeline::AuthorizationFilter>(o.protect_metrics));
  }
  return built;
}

}  // namespace inferd
