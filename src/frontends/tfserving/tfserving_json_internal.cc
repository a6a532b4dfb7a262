#include "frontends/tfserving/tfserving_json_internal.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "frontends/tfserving/tfserving_json.h"

namespace inferd::tfserving {
namespace internal {

using simdjson::dom::element;
using simdjson::dom::element_type;

StatusOr<ParsedBody> ParseBody(std::string_view body) {
  std::string rewritten;
  INFERD_ASSIGN_OR_RETURN(const bool nonfinite, RewriteNonFiniteTokens(body, rewritten));
  // simdjson copies what it keeps, so `rewritten` may go after the parse.
  INFERD_ASSIGN_OR_RETURN(element root, http::ParseJson(nonfinite ? rewritten : body));
  if (root.type() != element_type::OBJECT) {
    return InvalidArgument("the request body must be a JSON object");
  }
  ParsedBody parsed{simdjson::dom::object(root), nonfinite};
  element name;
  if (parsed.root.at_key("signature_name").get(name) == simdjson::SUCCESS) {
    std::string_view value;
    if (name.get_string().get(value) != simdjson::SUCCESS) {
      return InvalidArgument("\"signature_name\" must be a string");
    }
    if (!value.empty() && value != kDefaultSignature) {
      return InvalidArgument("Serving signature name: \"" + std::string(value) +
                             "\" not found in signature def (inferd models have one signature, "
                             "\"serving_default\")");
    }
  }
  return parsed;
}

bool IsB64Object(element value) {
  if (value.type() != element_type::OBJECT) return false;
  simdjson::dom::object object(value);
  if (object.size() != 1) return false;
  element b64;
  return object.at_key("b64").get(b64) == simdjson::SUCCESS && b64.type() == element_type::STRING;
}

bool LeafAsDouble(element leaf, bool nonfinite, double& out) {
  if (leaf.get_double().get(out) == simdjson::SUCCESS) return true;
  if (!nonfinite || leaf.type() != element_type::STRING) return false;
  switch (NonFiniteMarker(std::string_view(leaf.get_string().value_unsafe()))) {
    case NonFinite::kNaN:
      out = std::numeric_limits<double>::quiet_NaN();
      return true;
    case NonFinite::kInf:
      out = std::numeric_limits<double>::infinity();
      return true;
    case NonFinite::kNegInf:
      out = -std::numeric_limits<double>::infinity();
      return true;
    case NonFinite::kNone:
      break;
  }
  return false;
}

void WriteFloat(http::JsonWriter& w, float value) {
  if (std::isnan(value)) {
    w.RawValue("NaN", 3, rapidjson::kNumberType);
  } else if (std::isinf(value)) {
    value > 0 ? w.RawValue("Infinity", 8, rapidjson::kNumberType)
              : w.RawValue("-Infinity", 9, rapidjson::kNumberType);
  } else {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer) - 2, value);
    size_t n = static_cast<size_t>(result.ptr - buffer);
    if (std::string_view(buffer, n).find_first_of(".e") == std::string_view::npos) {
      buffer[n++] = '.';
      buffer[n++] = '0';
    }
    w.RawValue(buffer, n, rapidjson::kNumberType);
  }
}

}  // namespace internal

}  // namespace inferd::tfserving
