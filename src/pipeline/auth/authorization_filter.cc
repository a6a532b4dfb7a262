#include "pipeline/auth/authorization_filter.h"

#include "core/auth/api_key.h"

namespace inferd::pipeline {

std::string_view AuthorizationFilter::BaseModelName(std::string_view model) {
  // As the core resolves names (ModelManager::Get): MLflow's URI prefix
  // first, then the alias or stage after the model.
  if (model.starts_with("models:/")) model.remove_prefix(8);
  const size_t cut = model.find_first_of("@/");
  return cut == std::string_view::npos ? model : model.substr(0, cut);
}

std::shared_ptr<const ModelVisibility> VisibilityOf(const Identity& identity) {
  if (identity.models.empty()) return nullptr;
  return std::make_shared<const ModelVisibility>(
      [patterns = identity.models](std::string_view model) {
        const std::string_view base = AuthorizationFilter::BaseModelName(model);
        for (const std::string& pattern : patterns) {
          if (ModelPatternMatches(pattern, base)) return true;
        }
        return false;
      });
}

std::optional<Refusal> AuthorizationFilter::OnTarget(RequestContext& context) {
  Role needed = Role::kAdmin;
  switch (context.kind) {
    case RouteKind::kHealth:
    case RouteKind::kDocs:
      return std::nullopt;
    case RouteKind::kMetrics:
      if (!protect_metrics_) return std::nullopt;
      needed = Role::kRead;
      break;
    case RouteKind::kRead:
      needed = Role::kRead;
      break;
    case RouteKind::kInfer:
      needed = Role::kInfer;
      break;
    case RouteKind::kAdmin:
      needed = Role::kAdmin;
      break;
  }
  const Identity& identity = context.identity;
  const bool limited = !identity.models.empty();
  // Calls over every model at once (API keys) are for identities without a
  // model limit: a key for some models must not mint a key for all.
  if (context.server_wide && limited) {
    return Refusal{PermissionDenied(identity.Label() +
                                    " is limited to some models; this call needs an identity for "
                                    "every model"),
                   {{"www-authenticate", "Bearer realm=\"inferd\", error=\"insufficient_scope\""}}};
  }
  // A route that must name a model but could not tell which (no model
  // given, several served) is refused to a limited identity, whose answer
  // would otherwise list the models.
  if (context.model_required && context.model.empty() && limited) {
    return Refusal{NotFound("unknown model"), {}, true};
  }
  // The model first: an identity that may not use it learns nothing more
  // than that it does not exist, whatever its roles.
  if (!context.model.empty() && !identity.models.empty()) {
    const std::string_view model = BaseModelName(context.model);
    bool allowed = false;
    for (const std::string& pattern : identity.models) {
      if (ModelPatternMatches(pattern, model)) {
        allowed = true;
        break;
      }
    }
    if (!allowed) return Refusal{NotFound("unknown model"), {}, true};
  }
  if (!identity.roles.Has(needed)) {
    // RFC 6750 §3.1: the token is good, its scope is not enough.
    return Refusal{PermissionDenied(identity.Label() + " does not have the '" +
                                    std::string(RoleName(needed)) + "' role this call needs"),
                   {{"www-authenticate", "Bearer realm=\"inferd\", error=\"insufficient_scope\""}}};
  }
  return std::nullopt;
}

}  // namespace inferd::pipeline
