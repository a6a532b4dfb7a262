#include "frontends/registry/registry_json.h"

#include <string>

#include "frontends/mlflow/mlflow_http.h"

namespace inferd::registry {
namespace {

void String(http::JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Tags(http::JsonWriter& w, const RegistryTags& tags) {
  w.Key("tags");
  w.StartArray();
  for (const auto& [key, value] : tags) {
    w.StartObject();
    w.Key("key");
    String(w, key);
    w.Key("value");
    String(w, value);
    w.EndObject();
  }
  w.EndArray();
}

// The version's state in the model manager: READY, LOADING, UNAVAILABLE
// (with the reason), or NOT_SERVED when the manager does not hold it.
void Serving(http::JsonWriter& w, const ModelVersionRecord& v,
             const std::vector<ModelStatus>& serving) {
  std::string_view state = "NOT_SERVED";
  std::string_view reason;
  for (const auto& model : serving) {
    if (model.name != v.model) continue;
    for (const auto& status : model.versions) {
      if (status.version != v.version) continue;
      state = ModelStateName(status.state);
      reason = status.reason;
    }
  }
  w.Key("serving_state");
  String(w, state);
  if (!reason.empty()) {
    w.Key("serving_reason");
    String(w, reason);
  }
}

}  // namespace

void WriteModelVersion(http::JsonWriter& w, const ModelVersionRecord& v,
                       const std::vector<ModelStatus>& serving) {
  w.StartObject();
  w.Key("name");
  String(w, v.model);
  w.Key("version");
  String(w, std::to_string(v.version));  // MLflow sends versions as strings
  w.Key("creation_timestamp");
  w.Int64(v.created_ms);
  w.Key("last_updated_timestamp");
  w.Int64(v.updated_ms);
  w.Key("current_stage");
  String(w, v.stage);
  w.Key("description");
  String(w, v.description);
  w.Key("source");
  String(w, v.source);
  w.Key("run_id");
  String(w, "");
  w.Key("status");
  String(w, "READY");
  Tags(w, v.tags);
  w.Key("aliases");
  w.StartArray();
  for (const auto& alias : v.aliases) String(w, alias);
  w.EndArray();
  w.Key("checksum");
  String(w, v.checksum);
  w.Key("metrics");
  w.StartArray();
  for (const auto& [key, value] : v.metrics) {
    w.StartObject();
    w.Key("key");
    String(w, key);
    w.Key("value");
    w.Double(value);
    w.EndObject();
  }
  w.EndArray();
  Serving(w, v, serving);
  w.EndObject();
}

void WriteRegisteredModel(http::JsonWriter& w, const RegisteredModelRecord& m,
                          const std::vector<ModelStatus>& serving) {
  w.StartObject();
  w.Key("name");
  String(w, m.name);
  w.Key("creation_timestamp");
  w.Int64(m.created_ms);
  w.Key("last_updated_timestamp");
  w.Int64(m.updated_ms);
  w.Key("description");
  String(w, m.description);
  Tags(w, m.tags);
  w.Key("aliases");
  w.StartArray();
  for (const auto& [alias, version] : m.aliases) {
    w.StartObject();
    w.Key("alias");
    String(w, alias);
    w.Key("version");
    String(w, std::to_string(version));
    w.EndObject();
  }
  w.EndArray();
  // MLflow's latest_versions: the latest version in each stage that has one.
  w.Key("latest_versions");
  w.StartArray();
  for (std::string_view stage : {"None", "Staging", "Production", "Archived"}) {
    for (auto it = m.versions.rbegin(); it != m.versions.rend(); ++it) {
      if (it->stage == stage) {
        WriteModelVersion(w, *it, serving);
        break;
      }
    }
  }
  w.EndArray();
  w.EndObject();
}

http::HttpResponse RegistryError(const Status& status) {
  unsigned code = 500;
  std::string_view error_code = "INTERNAL_ERROR";
  switch (status.code()) {
    case StatusCode::kNotFound:
      code = 404;
      error_code = "RESOURCE_DOES_NOT_EXIST";
      break;
    case StatusCode::kAlreadyExists:
      code = 400;
      error_code = "RESOURCE_ALREADY_EXISTS";
      break;
    case StatusCode::kInvalidArgument:
      code = 400;
      error_code = "INVALID_PARAMETER_VALUE";
      break;
    case StatusCode::kFailedPrecondition:
      code = 400;
      error_code = "INVALID_STATE";
      break;
    case StatusCode::kPermissionDenied:
      code = 403;
      error_code = "PERMISSION_DENIED";
      break;
    case StatusCode::kUnauthenticated:
      code = 401;
      error_code = "UNAUTHENTICATED";
      break;
    case StatusCode::kResourceExhausted:
      code = 413;
      error_code = "RESOURCE_EXHAUSTED";
      break;
    case StatusCode::kUnavailable:
      code = 503;
      error_code = "TEMPORARILY_UNAVAILABLE";
      break;
    case StatusCode::kUnsupported:
      code = 501;
      error_code = "NOT_IMPLEMENTED";
      break;
    default:
      break;
  }
  return mlflow::ErrorAnswer(code, error_code, status.message());
}

}  // namespace inferd::registry
