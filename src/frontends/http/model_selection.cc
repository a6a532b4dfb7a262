#include "frontends/http/model_selection.h"

namespace inferd::http {

StatusOr<std::string> SelectModel(const ServerCore& core, std::string_view given,
                                  std::string_view default_model, std::string_view how) {
  if (!given.empty()) return std::string(given);
  if (!default_model.empty()) return std::string(default_model);
  const auto models = core.ModelStatuses();
  if (models.size() == 1) return models[0].name;
  std::string names;
  for (const auto& m : models) names += (names.empty() ? "" : ", ") + m.name;
  return InvalidArgument("the request names no model and the server has " +
                         std::to_string(models.size()) + " (" + names + "); name one with " +
                         std::string(how) + ", or start the server with --default-model");
}

}  // namespace inferd::http
