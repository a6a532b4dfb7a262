#include "frontends/http/model_selection.h"

namespace inferd::http {

StatusOr<std::string> SelectModel(const ServerCore& core, std::string_view given,
                                  std::string_view default_model, std::string_view how) {
  if (!given.empty()) return std::string(given);
  if (!default_model.empty()) return std::string(default_model);
  // Runs per request on a one-model server: names only, no statuses.
  const auto models = core.ModelNames();
  if (models.size() == 1) return models[0];
  std::string names;
  for (const auto& m : models) names += (names.empty() ? "" : ", ") + m;
  return InvalidArgument("the request names no model and the server has " +
                         std::to_string(models.size()) + " (" + names + "); name one with " +
                         std::string(how) + ", or start the server with --default-model");
}

}  // namespace inferd::http
