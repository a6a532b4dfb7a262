#include "frontends/registry/registry_http.h"

#include <memory>

#include "frontends/http/multipart.h"
#include "frontends/http/query_params.h"
#include "frontends/registry/registry_args.h"
#include "frontends/registry/registry_filter.h"
#include "frontends/registry/registry_json.h"

namespace inferd::registry {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::JsonWriter;
using http::Responder;

// Runs on the registry's thread and returns the answer.
using Call = std::function<HttpResponse(ServerCore& core, const RegistryArgs& args)>;

#define INFERD_OR_ANSWER(lhs, expr)                                  \
  auto INFERD_CONCAT(answer_, __LINE__) = (expr);                    \
  if (!INFERD_CONCAT(answer_, __LINE__).ok()) {                      \
    return RegistryError(INFERD_CONCAT(answer_, __LINE__).status()); \
  }                                                                  \
  lhs = std::move(INFERD_CONCAT(answer_, __LINE__)).value()

HttpResponse Empty(const Status& status) {
  if (!status.ok()) return RegistryError(status);
  HttpResponse response;
  response.body = "{}";
  return response;
}

// A 200 answer: a JSON object whose members `write` writes.
HttpResponse JsonAnswer(const std::function<void(JsonWriter&)>& write) {
  http::JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write(w);
  w.EndObject();
  HttpResponse response;
  response.body = buffer.Release();
  return response;
}

HttpResponse OneVersion(ServerCore& core, const StatusOr<ModelVersionRecord>& version) {
  if (!version.ok()) return RegistryError(version.status());
  return JsonAnswer([&](JsonWriter& w) {
    w.Key("model_version");
    WriteModelVersion(w, *version, core.ModelStatuses());
  });
}

HttpResponse Versions(ServerCore& core, const StatusOr<std::vector<ModelVersionRecord>>& versions,
                      size_t limit = SIZE_MAX) {
  if (!versions.ok()) return RegistryError(versions.status());
  const auto serving = core.ModelStatuses();
  return JsonAnswer([&](JsonWriter& w) {
    w.Key("model_versions");
    w.StartArray();
    for (size_t i = 0; i < versions->size() && i < limit; ++i) {
      WriteModelVersion(w, (*versions)[i], serving);
    }
    w.EndArray();
  });
}

HttpResponse OneModel(ServerCore& core, const StatusOr<RegisteredModelRecord>& model) {
  if (!model.ok()) return RegistryError(model.status());
  return JsonAnswer([&](JsonWriter& w) {
    w.Key("registered_model");
    WriteRegisteredModel(w, *model, core.ModelStatuses());
  });
}

StatusOr<size_t> MaxResults(const RegistryArgs& args) {
  INFERD_ASSIGN_OR_RETURN(std::string text, args.Optional("max_results"));
  if (text.empty()) return SIZE_MAX;
  int64_t n = 0;
  if (!ParseVersion(text, n)) return InvalidArgument("max_results must be a positive integer");
  return static_cast<size_t>(n);
}

// ---- registered models ----

HttpResponse CreateModel(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(std::string description, args.Optional("description"));
  INFERD_OR_ANSWER(RegistryTags tags, args.Tags());
  return OneModel(core, core.registry().CreateModel(name, description, tags));
}

HttpResponse GetModel(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  return OneModel(core, core.registry().GetModel(name));
}

HttpResponse SearchModels(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string filter_text, args.Optional("filter"));
  INFERD_OR_ANSWER(RegistryFilter filter, ParseRegistryFilter(filter_text));
  INFERD_OR_ANSWER(size_t limit, MaxResults(args));
  INFERD_OR_ANSWER(auto models, core.registry().ListModels());
  const auto serving = core.ModelStatuses();
  return JsonAnswer([&](JsonWriter& w) {
    w.Key("registered_models");
    w.StartArray();
    size_t written = 0;
    for (const auto& model : models) {
      if (written == limit) break;
      if (!filter.Matches(model.name, model.tags)) continue;
      WriteRegisteredModel(w, model, serving);
      ++written;
    }
    w.EndArray();
  });
}

HttpResponse UpdateModel(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(std::string description, args.Optional("description"));
  return OneModel(core, core.registry().UpdateModel(name, description));
}

HttpResponse DeleteModel(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  return Empty(core.registry().DeleteModel(name));
}

HttpResponse SetModelTag(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(std::string key, args.Required("key"));
  INFERD_OR_ANSWER(std::string value, args.Optional("value"));
  return Empty(core.registry().SetModelTag(name, key, value));
}

HttpResponse DeleteModelTag(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(std::string key, args.Required("key"));
  return Empty(core.registry().DeleteModelTag(name, key));
}

HttpResponse SetAlias(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(std::string alias, args.Required("alias"));
  INFERD_OR_ANSWER(int64_t version, args.Version());
  return Empty(core.registry().SetAlias(name, alias, version));
}

HttpResponse DeleteAlias(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(std::string alias, args.Required("alias"));
  return Empty(core.registry().DeleteAlias(name, alias));
}

HttpResponse GetAlias(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(std::string alias, args.Required("alias"));
  return OneVersion(core, core.registry().GetVersionByAlias(name, alias));
}

HttpResponse LatestVersions(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(std::vector<std::string> stages, args.Strings("stages"));
  return Versions(core, core.registry().LatestVersions(name, stages));
}

// ---- model versions ----

HttpResponse CreateVersion(ServerCore& core, const RegistryArgs& args) {
  NewVersionRequest request;
  INFERD_OR_ANSWER(request.model, args.Required("name"));
  INFERD_OR_ANSWER(request.source, args.Required("source"));
  INFERD_OR_ANSWER(request.description, args.Optional("description"));
  INFERD_OR_ANSWER(request.tags, args.Tags());
  INFERD_OR_ANSWER(request.metrics, args.Metrics());
  return OneVersion(core, core.registry().CreateVersion(request));
}

HttpResponse GetVersion(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(int64_t version, args.Version());
  return OneVersion(core, core.registry().GetVersion(name, version));
}

HttpResponse SearchVersions(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string filter_text, args.Optional("filter"));
  INFERD_OR_ANSWER(RegistryFilter filter, ParseRegistryFilter(filter_text));
  INFERD_OR_ANSWER(size_t limit, MaxResults(args));
  INFERD_OR_ANSWER(auto versions, core.registry().SearchVersions(filter.ExactName()));
  std::erase_if(versions,
                [&](const ModelVersionRecord& v) { return !filter.Matches(v.model, v.tags); });
  return Versions(core, versions, limit);
}

HttpResponse UpdateVersion(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(int64_t version, args.Version());
  INFERD_OR_ANSWER(std::string description, args.Optional("description"));
  return OneVersion(core, core.registry().UpdateVersion(name, version, description));
}

HttpResponse DeleteVersion(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(int64_t version, args.Version());
  return Empty(core.registry().DeleteVersion(name, version));
}

HttpResponse TransitionStage(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(int64_t version, args.Version());
  INFERD_OR_ANSWER(std::string stage, args.Required("stage"));
  INFERD_OR_ANSWER(bool archive, args.Bool("archive_existing_versions", false));
  return OneVersion(core, core.registry().TransitionStage(name, version, stage, archive));
}

HttpResponse SetVersionTag(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(int64_t version, args.Version());
  INFERD_OR_ANSWER(std::string key, args.Required("key"));
  INFERD_OR_ANSWER(std::string value, args.Optional("value"));
  return Empty(core.registry().SetVersionTag(name, version, key, value));
}

HttpResponse DeleteVersionTag(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(int64_t version, args.Version());
  INFERD_OR_ANSWER(std::string key, args.Required("key"));
  return Empty(core.registry().DeleteVersionTag(name, version, key));
}

HttpResponse SetVersionMetric(ServerCore& core, const RegistryArgs& args) {
  INFERD_OR_ANSWER(std::string name, args.Required("name"));
  INFERD_OR_ANSWER(int64_t version, args.Version());
  INFERD_OR_ANSWER(std::string key, args.Required("key"));
  INFERD_OR_ANSWER(double value, args.Number("value"));
  return Empty(core.registry().SetVersionMetric(name, version, key, value));
}

// ---- dispatch ----

enum class Kind { kRead, kChange };

Status UnknownRegisteredModel(std::string_view model) {
  return NotFound("Registered Model with name=" + std::string(model) + " not found");
}

const http::ProtocolErrors kErrors{"registry-http", &RegistryError, &UnknownRegisteredModel};

// The registered model a call names ("name" in the query or the JSON body),
// for the pipeline's per-model rules.
void RegistryTarget(const HttpRequest& req, std::string& model, std::string&) {
  auto args = RegistryArgs::Parse(req);
  if (!args.ok()) return;
  auto name = args->Optional("name");
  if (name.ok()) model = *name;
}

void Run(ServerCore* core, Kind kind, Call call, HttpRequest& req, Responder respond) {
  auto args = RegistryArgs::Parse(req);
  if (!args.ok()) return respond(RegistryError(args.status()));
  auto shared = std::make_shared<RegistryArgs>(std::move(args).value());
  auto work = [core, shared, call = std::move(call), respond = std::move(respond)](Status ok) {
    respond(ok.ok() ? call(*core, *shared) : RegistryError(ok));
  };
  if (kind == Kind::kChange) {
    core->RunRegistryChange(std::move(work));
  } else {
    core->RunRegistryRead(std::move(work));
  }
}

// POST /v1/registry/models/{model}/versions: the ONNX file as the body, or
// multipart/form-data with "model" (the file), optional "config"
// (config.pbtxt text) and "description".
void Upload(ServerCore* core, HttpRequest& req, Responder respond) {
  auto request = std::make_shared<UploadRequest>();
  request->model = std::string(req.Param("model"));
  request->description = http::QueryParam(req.query, "description").value_or("");
  const std::string_view content_type = req.Header("content-type");
  auto body = req.body;  // the views below point into it; it rides along
  if (http::IsMultipartFormData(content_type)) {
    auto file = http::FindFormField(content_type, *body, "model");
    if (!file.ok()) {
      return respond(RegistryError(
          file.status().code() == StatusCode::kNotFound
              ? InvalidArgument("the multipart body has no \"model\" part (the ONNX file)")
              : file.status()));
    }
    request->model_file = *file;
    if (auto config = http::FindFormField(content_type, *body, "config"); config.ok()) {
      request->config = std::string(*config);
    }
    if (auto description = http::FindFormField(content_type, *body, "description");
        description.ok()) {
      request->description = std::string(*description);
    }
  } else {
    request->model_file = *body;
  }
  if (!IsUtf8(request->description) || (request->config && !IsUtf8(*request->config))) {
    return respond(RegistryError(InvalidArgument("the description and config must be UTF-8")));
  }
  core->RunRegistryChange([core, request, body, respond = std::move(respond)](Status ok) {
    respond(ok.ok() ? OneVersion(*core, core->registry().UploadVersion(*request))
                    : RegistryError(ok));
  });
}

}  // namespace

bool IsUploadTarget(std::string_view target) {
  target = target.substr(0, target.find('?'));
  constexpr std::string_view kPrefix = "/v1/registry/models/";
  constexpr std::string_view kSuffix = "/versions";
  if (!target.starts_with(kPrefix) || !target.ends_with(kSuffix)) return false;
  const std::string_view model =
      target.substr(kPrefix.size(), target.size() - kPrefix.size() - kSuffix.size());
  return !model.empty() && model.find('/') == std::string_view::npos;
}

void AddRegistryRoutes(ServerCore* core, http::Router& router) {
  struct Route {
    http::Method method;
    const char* path;
    Kind kind;
    HttpResponse (*call)(ServerCore&, const RegistryArgs&);
  };
  using M = http::Method;
  static constexpr Route kRoutes[] = {
      {M::kPost, "/registered-models/create", Kind::kChange, &CreateModel},
      {M::kGet, "/registered-models/get", Kind::kRead, &GetModel},
      {M::kGet, "/registered-models/search", Kind::kRead, &SearchModels},
      {M::kPatch, "/registered-models/update", Kind::kChange, &UpdateModel},
      {M::kDelete, "/registered-models/delete", Kind::kChange, &DeleteModel},
      {M::kPost, "/registered-models/set-tag", Kind::kChange, &SetModelTag},
      {M::kDelete, "/registered-models/delete-tag", Kind::kChange, &DeleteModelTag},
      {M::kPost, "/registered-models/alias", Kind::kChange, &SetAlias},
      {M::kDelete, "/registered-models/alias", Kind::kChange, &DeleteAlias},
      {M::kGet, "/registered-models/alias", Kind::kRead, &GetAlias},
      {M::kPost, "/registered-models/get-latest-versions", Kind::kRead, &LatestVersions},
      {M::kGet, "/registered-models/get-latest-versions", Kind::kRead, &LatestVersions},
      {M::kPost, "/model-versions/create", Kind::kChange, &CreateVersion},
      {M::kGet, "/model-versions/get", Kind::kRead, &GetVersion},
      {M::kGet, "/model-versions/search", Kind::kRead, &SearchVersions},
      {M::kPatch, "/model-versions/update", Kind::kChange, &UpdateVersion},
      {M::kDelete, "/model-versions/delete", Kind::kChange, &DeleteVersion},
      {M::kPost, "/model-versions/transition-stage", Kind::kChange, &TransitionStage},
      {M::kPost, "/model-versions/set-tag", Kind::kChange, &SetVersionTag},
      {M::kDelete, "/model-versions/delete-tag", Kind::kChange, &DeleteVersionTag},
      {M::kPost, "/model-versions/set-metric", Kind::kChange, &SetVersionMetric},
  };
  // inferd's own prefix, and MLflow's, so MLflow's clients can use it as a
  // registry URI.
  for (const char* prefix : {"/v1/registry", "/api/2.0/mlflow"}) {
    for (const Route& route : kRoutes) {
      http::RouteInfo info{
          route.kind == Kind::kChange ? pipeline::RouteKind::kAdmin : pipeline::RouteKind::kRead,
          &kErrors, &RegistryTarget};
      info.target_reads_body = true;  // a JSON body names the model
      router.Add(route.method, std::string(prefix) + route.path, info,
                 [core, route](HttpRequest& req, Responder respond) {
                   Run(core, route.kind, route.call, req, std::move(respond));
                 });
    }
  }
  router.Add(
      http::Method::kPost, "/v1/registry/models/{model}/versions",
      http::RouteInfo{pipeline::RouteKind::kAdmin, &kErrors},
      [core](HttpRequest& req, Responder respond) { Upload(core, req, std::move(respond)); });
}

}  // namespace inferd::registry
