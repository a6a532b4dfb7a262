#include "frontends/registry/registry_args.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <simdjson.h>

#include <charconv>

#include "core/json_nesting.h"
#include "core/lifecycle/repository_scanner.h"
#include "frontends/http/query_params.h"

namespace inferd::registry {

struct RegistryArgs::Json {
  rapidjson::Document doc;
  const rapidjson::Value* Find(std::string_view key) const {
    auto it = doc.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    if (it == doc.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }
};

namespace {

Status Missing(std::string_view key) {
  return InvalidArgument("Missing value for required parameter '" + std::string(key) + "'");
}

Status WrongType(std::string_view key, std::string_view want) {
  return InvalidArgument("parameter '" + std::string(key) + "' must be " + std::string(want));
}

StatusOr<std::string> StringOf(const rapidjson::Value& v, std::string_view key) {
  if (!v.IsString()) return WrongType(key, "a string");
  return std::string(v.GetString(), v.GetStringLength());
}

}  // namespace

bool IsUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

RegistryArgs::~RegistryArgs() = default;
RegistryArgs::RegistryArgs(RegistryArgs&&) noexcept = default;

StatusOr<RegistryArgs> RegistryArgs::Parse(const http::HttpRequest& request) {
  RegistryArgs args;
  args.query_ = request.query;
  const std::string& body = *request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return args;
  if (!JsonNestingWithin(body, 16))
    return InvalidArgument("the JSON body nests deeper than 16 levels");
  args.json_ = std::make_unique<Json>();
  args.json_->doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      body.data(), body.size());
  if (args.json_->doc.HasParseError()) {
    return InvalidArgument(std::string("malformed JSON body: ") +
                           rapidjson::GetParseError_En(args.json_->doc.GetParseError()) +
                           " at offset " + std::to_string(args.json_->doc.GetErrorOffset()));
  }
  if (!args.json_->doc.IsObject()) return InvalidArgument("the JSON body must be an object");
  return args;
}

StatusOr<std::string> RegistryArgs::Optional(std::string_view key) const {
  if (json_) {
    if (const auto* v = json_->Find(key)) return StringOf(*v, key);
  }
  if (auto value = http::QueryParam(query_, key)) {
    if (!IsUtf8(*value)) return WrongType(key, "UTF-8 text");
    return std::move(*value);
  }
  return std::string();
}

StatusOr<std::string> RegistryArgs::Required(std::string_view key) const {
  INFERD_ASSIGN_OR_RETURN(std::string value, Optional(key));
  if (value.empty()) return Missing(key);
  return value;
}

StatusOr<int64_t> RegistryArgs::Version() const {
  std::string text;
  if (json_) {
    if (const auto* v = json_->Find("version"); v != nullptr && v->IsInt64()) {
      text = std::to_string(v->GetInt64());
    } else if (v != nullptr) {
      INFERD_ASSIGN_OR_RETURN(text, StringOf(*v, "version"));
    }
  }
  if (text.empty()) text = http::QueryParam(query_, "version").value_or("");
  if (text.empty()) return Missing("version");
  int64_t version = 0;
  if (!ParseVersion(text, version)) {
    return InvalidArgument("version '" + text + "' must be a positive integer");
  }
  return version;
}

StatusOr<bool> RegistryArgs::Bool(std::string_view key, bool fallback) const {
  if (json_) {
    if (const auto* v = json_->Find(key)) {
      if (v->IsBool()) return v->GetBool();
      if (!v->IsString()) return WrongType(key, "true or false");
    }
  }
  INFERD_ASSIGN_OR_RETURN(std::string text, Optional(key));
  if (text.empty()) return fallback;
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  return WrongType(key, "true or false");
}

StatusOr<double> RegistryArgs::Number(std::string_view key) const {
  if (json_) {
    if (const auto* v = json_->Find(key)) {
      if (v->IsNumber()) return v->GetDouble();
      return WrongType(key, "a number");
    }
  }
  const auto text = http::QueryParam(query_, key);
  if (!text || text->empty()) return Missing(key);
  double value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) return WrongType(key, "a number");
  return value;
}

StatusOr<RegistryTags> RegistryArgs::Tags() const {
  RegistryTags tags;
  const rapidjson::Value* list = json_ ? json_->Find("tags") : nullptr;
  if (list == nullptr) return tags;
  if (!list->IsArray()) return WrongType("tags", "a list of {\"key\", \"value\"} objects");
  for (const auto& tag : list->GetArray()) {
    if (!tag.IsObject() || !tag.HasMember("key") || !tag["key"].IsString()) {
      return WrongType("tags", "a list of {\"key\", \"value\"} objects");
    }
    std::string value;
    if (tag.HasMember("value") && !tag["value"].IsNull()) {
      INFERD_ASSIGN_OR_RETURN(value, StringOf(tag["value"], "tags.value"));
    }
    tags[std::string(tag["key"].GetString(), tag["key"].GetStringLength())] = std::move(value);
  }
  return tags;
}

StatusOr<std::map<std::string, double>> RegistryArgs::Metrics() const {
  std::map<std::string, double> metrics;
  const rapidjson::Value* list = json_ ? json_->Find("metrics") : nullptr;
  if (list == nullptr) return metrics;
  const char* want = "a list of {\"key\", \"value\": number} objects";
  if (!list->IsArray()) return WrongType("metrics", want);
  for (const auto& metric : list->GetArray()) {
    if (!metric.IsObject() || !metric.HasMember("key") || !metric["key"].IsString() ||
        !metric.HasMember("value") || !metric["value"].IsNumber()) {
      return WrongType("metrics", want);
    }
    metrics[std::string(metric["key"].GetString(), metric["key"].GetStringLength())] =
        metric["value"].GetDouble();
  }
  return metrics;
}

StatusOr<std::vector<std::string>> RegistryArgs::Strings(std::string_view key) const {
  if (json_) {
    if (const auto* v = json_->Find(key)) {
      if (!v->IsArray()) return WrongType(key, "a list of strings");
      std::vector<std::string> out;
      for (const auto& item : v->GetArray()) {
        INFERD_ASSIGN_OR_RETURN(std::string s, StringOf(item, key));
        out.push_back(std::move(s));
      }
      return out;
    }
  }
  return http::QueryParams(query_, key);
}

}  // namespace inferd::registry
