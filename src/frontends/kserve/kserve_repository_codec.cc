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

Status UnknownLoadParameter(std::string_view key) {
  if (key.substr(0, 5) == "file:") {
    return Unsupported("file overrides (\"" + std::string(key) +
                       "\") are not supported; put the files in the model repository");
  }
  return InvalidArgument("unknown load parameter \"" + std::string(key) + "\" (known: \"config\")");
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
    if (key != "config") return UnknownLoadParameter(key);
    if (value.type() != element_type::STRING) {
      return InvalidArgument(
          "parameter \"config\" must be a string holding the model config as JSON");
    }
    config = std::string(std::string_view(value));
  }
  return config;
}

StatusOr<int64_t> LabelVersion(simdjson::dom::object body) {
  element version;
  if (body.at_key("version").get(version) != simdjson::SUCCESS) {
    return InvalidArgument("the body must be {\"version\": N}");
  }
  int64_t number = 0;
  if (version.type() == element_type::INT64) {
    number = int64_t(version);
  } else if (version.type() == element_type::STRING) {
    const std::string_view text(version);
    for (char c : text) {
      if (c < '0' || c > '9' || text.size() > 18) {
        return InvalidArgument("\"version\" must be a positive integer");
      }
      number = number * 10 + (c - '0');
    }
  }
  if (number <= 0) return InvalidArgument("\"version\" must be a positive integer");
  return number;
}

}  // namespace inferd::kserve
