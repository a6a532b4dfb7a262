#include "pipeline/auth/authentication_filter.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

namespace inferd::pipeline {
namespace {

bool IsOpen(const RequestContext& context, bool protect_metrics) {
  switch (context.kind) {
    case RouteKind::kHealth:
    case RouteKind::kDocs:
      return true;
    case RouteKind::kMetrics:
      return !protect_metrics;
    default:
      return false;
  }
}

Refusal Unauthenticated(std::string_view reason, bool invalid_token) {
  std::string challenge = "Bearer realm=\"inferd\"";
  if (invalid_token) {
    // RFC 6750 §3: the error and a description safe to show.
    challenge += ", error=\"invalid_token\", error_description=\"" + std::string(reason) + "\"";
  }
  return Refusal{inferd::Unauthenticated(std::string(reason)),
                 {{"www-authenticate", std::move(challenge)}}};
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view PresentedCredential(std::string_view authorization, std::string_view api_key) {
  authorization = TrimSpaces(authorization);
  if (authorization.size() > 7 && EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
    return TrimSpaces(authorization.substr(7));
  }
  if (!authorization.empty()) return authorization;  // another scheme: refused as malformed
  return TrimSpaces(api_key);
}

std::optional<Refusal> AuthenticationFilter::OnCall(RequestContext& context) {
  const std::string_view credential =
      context.headers ? PresentedCredential(context.headers->Get("authorization"),
                                            context.headers->Get("x-api-key"))
                      : std::string_view();
  if (credential.empty()) {
    if (!context.tls_peer.empty() && options_.certificate_roles) {
      context.identity.kind = "certificate";
      context.identity.name = context.tls_peer;
      context.identity.roles = *options_.certificate_roles;
      context.identity.models.clear();
      return std::nullopt;
    }
    context.identity.roles = RoleSet();
    if (IsOpen(context, options_.protect_metrics)) return std::nullopt;
    return Throttled(
        context, Unauthenticated(
                     "credentials required: send Authorization: Bearer <API key or token>", false));
  }
  std::optional<Refusal> refusal;
  if (credential.starts_with(kApiKeyPrefix)) {
    refusal = FromApiKey(context, credential);
  } else if (std::count(credential.begin(), credential.end(), '.') == 2) {
    refusal = FromToken(context, credential);
  } else {
    context.identity.roles = RoleSet();
    refusal = Unauthenticated("malformed credentials", true);
  }
  // A probe that carries a stale credential still reaches an open route.
  if (refusal && IsOpen(context, options_.protect_metrics) &&
      refusal->status.code() == StatusCode::kUnauthenticated) {
    context.identity = Identity();
    context.identity.roles = RoleSet();
    return std::nullopt;
  }
  return Throttled(context, std::move(refusal));
}

std::optional<Refusal> AuthenticationFilter::Throttled(const RequestContext& context,
                                                       std::optional<Refusal> refusal) const {
  if (!refusal || refusal->status.code() != StatusCode::kUnauthenticated ||
      options_.failure_throttle == nullptr) {
    return refusal;
  }
  if (auto throttled = options_.failure_throttle->OnFailure(context)) return throttled;
  return refusal;
}

std::optional<Refusal> AuthenticationFilter::FromApiKey(RequestContext& context,
                                                        std::string_view key) {
  context.identity.roles = RoleSet();
  if (options_.keys == nullptr) return Unauthenticated("API keys are not enabled", true);
  auto record = options_.keys->Authenticate(key, NowUnix());
  if (!record.ok()) {
    if (record.status().code() != StatusCode::kUnauthenticated) {
      // The key database cannot be read: refuse, never let through.
      return Refusal{Unavailable("cannot check credentials now"), {}};
    }
    return Unauthenticated(record.status().message(), true);
  }
  context.identity.kind = "api-key";
  context.identity.name = record->id;
  context.identity.roles = record->roles;
  context.identity.models = record->models;
  return std::nullopt;
}

std::optional<Refusal> AuthenticationFilter::FromToken(RequestContext& context,
                                                       std::string_view token) {
  context.identity.roles = RoleSet();
  if (options_.jwt == nullptr) return Unauthenticated("tokens are not enabled", true);
  const auto now = std::chrono::system_clock::now();
  // Read before verifying: a key set swapped in meanwhile makes the entry
  // stale at once, never the other way round.
  uint64_t key_set = options_.jwt->jwks_generation();
  {
    std::lock_guard lock(tokens_mu_);
    auto hit = tokens_.find(token);
    if (hit != tokens_.end() && now < hit->second.expiry && hit->second.key_set == key_set) {
      context.identity = hit->second.identity;
      return std::nullopt;
    }
  }
  auth::JwtError error = auth::JwtError::kNone;
  auto claims = options_.jwt->Verify(token, now, &error);
  // The issuer may have rotated its keys since they were fetched.
  if (error == auth::JwtError::kUnknownKid && options_.refetch_jwks &&
      options_.refetch_jwks(key_set)) {
    key_set = options_.jwt->jwks_generation();
    claims = options_.jwt->Verify(token, now);
  }
  if (!claims.ok()) return Unauthenticated(claims.status().message(), true);
  context.identity.kind = "jwt";
  context.identity.name = claims->subject;
  if (context.identity.name.empty()) {
    // Without `sub`, tokens would share one identity (one rate bucket, one
    // audit name): name each by a digest of itself.
    char name[24];
    std::snprintf(name, sizeof(name), "token-%016zx", std::hash<std::string_view>{}(token));
    context.identity.name = name;
  }
  RoleSet roles;
  for (const std::string& name : claims->roles) {
    if (auto role = ParseRole(name)) roles.Add(*role);
  }
  context.identity.roles = roles;
  context.identity.models = claims->models;
  std::lock_guard lock(tokens_mu_);
  if (tokens_.size() >= kMaxCachedTokens) tokens_.clear();
  // Until exp itself: past it, the full check (with its leeway) decides.
  tokens_[std::string(token)] = VerifiedToken{context.identity, claims->expiry, key_set};
  return std::nullopt;
}

}  // namespace inferd::pipeline
