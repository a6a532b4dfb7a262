// What an identity may do: the role a route needs (read, infer, admin) and
// the models the identity may use. A model it may not use is answered as a
// model that does not exist (so names do not leak); a missing role is 403
// (PERMISSION_DENIED). Runs once the model a request names is known.
// Stateless; thread-safe.
#pragma once

#include <memory>

#include "core/model_visibility.h"
#include "pipeline/filter.h"

namespace inferd::pipeline {

class AuthorizationFilter final : public Filter {
 public:
  explicit AuthorizationFilter(bool protect_metrics) : protect_metrics_(protect_metrics) {}
  std::optional<Refusal> OnTarget(RequestContext& context) override;

  // The model a request names, as the core resolves it: without MLflow's
  // "models:/" prefix, a registry alias or a stage ("models:/m@champion",
  // "m/Production" name model "m").
  static std::string_view BaseModelName(std::string_view model);

 private:
  bool protect_metrics_;
};

// What an identity may see in listings: null (everything) without a model
// limit, else its model patterns, matched as OnTarget matches them.
std::shared_ptr<const ModelVisibility> VisibilityOf(const Identity& identity);

}  // namespace inferd::pipeline
