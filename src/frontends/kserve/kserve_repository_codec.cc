#include "frontends/kserve/kserve_repository_codec.h"

#include "frontends/http/json_tensor_codec.h"

namespace inferd::kserve {

using simdjson::dom::element;
using simdjson::dom::element_type;

StatusOr<std::optional<simdjson::dom::object>> ParseOptionalObject(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return std::optional<simdjson::dom::object>();
  }
  INFERD_ASSIGN_OR_RETURN(element doc, http::ParseJson(body));
  if (doc.type() != element_type::OBJECT) return InvalidArgument("the body must be a JSON object");
  return std::optional<simdjson::dom::object>(simdjson::dom::object(doc));
}

StatusOr<std::optional<std::string>> LoadConfigOverride(simdjson::dom::object body) {
  element params;
  if (body.at_key("parameters").get(params) != simdjson::SUCCESS) {
    return std::optional<std::string>();
  }
  if (params.type() != element_type::OBJECT) {
    return InvalidArgument("\"parameters\" must be an object");
  }
  std::optional<std::string> config;
  for (auto [key, value] : simdjson::dom::object(params)) {
    if (key == "config") {
      if (value.type() != element_type::STRING) {
        return InvalidArgument(
            "parameter \"config\" must be a string holding the model config "
            "as JSON");
      }
      config = std::string(std::string_view(value));
    } else if (key.substr(0, 5) == "file:") {
      return Unsupported("file overrides (\"" + std::string(key) +
                         "\") are not supported; put the files in the model repository");
    } else {
      return InvalidArgument("unknown load parameter \"" + std::string(key) +
                             "\" (known: \"config\")");
    }
  }
  return config;
}

}  // namespace inferd::kserve
