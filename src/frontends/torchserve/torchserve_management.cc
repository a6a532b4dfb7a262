#include "frontends/torchserve/torchserve_management.h"

#include <charconv>
#include <optional>

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/query_params.h"
#include "frontends/torchserve/torchserve_http.h"

namespace inferd::torchserve {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::JsonWriter;
using http::Responder;

void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

HttpResponse Json(http::JsonBuffer& buffer) {
  HttpResponse response;
  response.body = buffer.Release();
  return response;
}

HttpResponse StatusMessage(const std::string& message) {
  http::JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("status");
  WriteString(w, message);
  w.EndObject();
  return Json(buffer);
}

// A query parameter's value ("" when absent); no escapes in these numbers.
std::string_view QueryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

StatusOr<int64_t> NonNegative(std::string_view text, const char* what, int64_t fallback) {
  if (text.empty()) return fallback;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    return InvalidArgument(std::string(what) + " must be a non-negative integer");
  }
  return value;
}

StatusOr<int64_t> VersionNumber(std::string_view model, std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) {
    return NotFound("Model version: " + std::string(text) +
                    " does not exist for model: " + std::string(model));
  }
  return value;
}

const ModelStatus* FindModel(const std::vector<ModelStatus>& models, std::string_view name) {
  for (const ModelStatus& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// GET /models: TorchServe pages by offset; limit is 1..100 (others: 100).
void ListModels(ServerCore* core, HttpRequest& req, Responder respond) {
  auto limit = NonNegative(QueryValue(req.query, "limit"), "limit", 100);
  auto offset = NonNegative(QueryValue(req.query, "next_page_token"), "next_page_token", 0);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  if (!offset.ok()) return respond(ErrorResponse(offset.status()));
  if (*limit <= 0 || *limit > 100) *limit = 100;
  const auto models = core->ModelNames();
  const size_t begin = std::min(models.size(), static_cast<size_t>(*offset));
  const size_t end = std::min(models.size(), begin + static_cast<size_t>(*limit));
  http::JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  if (end < models.size()) {
    w.Key("nextPageToken");
    WriteString(w, std::to_string(end));
  }
  w.Key("models");
  w.StartArray();
  for (size_t i = begin; i < end; ++i) {
    w.StartObject();
    w.Key("modelName");
    WriteString(w, models[i]);
    w.Key("modelUrl");
    WriteString(w, models[i]);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  respond(Json(buffer));
}

void Describe(ServerCore* core, const ModelStatus& model, const VersionStatus& v, JsonWriter& w) {
  // Instances and batching are read from the version itself while it serves.
  std::optional<ModelHandle> handle;
  if (v.state == ModelState::kReady) {
    auto found = core->GetModel(model.name, std::to_string(v.version));
    if (found.ok()) handle = std::move(found).value();
  }
  w.StartObject();
  w.Key("modelName");
  WriteString(w, model.name);
  w.Key("modelVersion");
  WriteString(w, std::to_string(v.version));
  w.Key("modelUrl");
  WriteString(w, model.name);
  w.Key("engine");
  w.String("onnxruntime");
  w.Key("runtime");
  w.String("cpp");
  if (handle) {
    const auto& config = (*handle)->config;
    int instances = 0;
    for (const auto& group : config.instance_group()) instances += group.count();
    w.Key("minWorkers");
    w.Int(instances);
    w.Key("maxWorkers");
    w.Int(instances);
    w.Key("batchSize");
    w.Int(config.max_batch_size());
    w.Key("maxBatchDelay");
    w.Int64(config.has_dynamic_batching()
                ? config.dynamic_batching().max_queue_delay_microseconds() / 1000
                : 0);
    w.Key("workers");
    w.StartArray();
    for (int i = 0; i < instances; ++i) {
      w.StartObject();
      w.Key("id");
      WriteString(w, std::to_string(i));
      w.Key("status");
      w.String("READY");
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("status");
  WriteString(w, ModelStateName(v.state));
  if (!v.reason.empty()) {
    w.Key("reason");
    WriteString(w, v.reason);
  }
  w.EndObject();
}

// GET /models/{m}[/{v}|/all]: an array of version descriptions. Without a
// version: the default version (the one unversioned requests get).
void DescribeModel(ServerCore* core, HttpRequest& req, Responder respond) {
  const auto models = core->ModelStatuses();
  const std::string_view name = req.Param("model");
  const ModelStatus* model = FindModel(models, name);
  if (model == nullptr) {
    return respond(ErrorResponse(NotFound("Model not found: " + std::string(name))));
  }
  const std::string_view version = req.Param("version");
  std::vector<const VersionStatus*> chosen;
  if (version == "all") {
    for (const auto& v : model->versions) chosen.push_back(&v);
  } else {
    int64_t number = 0;
    if (version.empty()) {
      auto handle = core->GetModel(name, "");
      if (!handle.ok()) return respond(ErrorResponse(handle.status()));
      number = (*handle)->version;
    } else {
      auto parsed = VersionNumber(name, version);
      if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
      number = *parsed;
    }
    for (const auto& v : model->versions) {
      if (v.version == number) chosen.push_back(&v);
    }
    if (chosen.empty()) {
      return respond(ErrorResponse(NotFound("Model version: " + std::string(version) +
                                            " does not exist for model: " + std::string(name))));
    }
  }
  http::JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const VersionStatus* v : chosen) Describe(core, *model, *v, w);
  w.EndArray();
  respond(Json(buffer));
}

// DELETE and PUT …/set-default: the admin check, the version, the change
// on the core's admin thread, and TorchServe's {"status": message} answer.
using VersionChange = void (ServerCore::*)(std::string, int64_t, ServerCore::AdminDone);
using ChangeMessage = std::string (*)(const std::string& model, int64_t version);

void ChangeVersion(ServerCore* core, HttpRequest& req, Responder respond, VersionChange change,
                   ChangeMessage message) {
  std::string model(req.Param("model"));
  auto version = VersionNumber(model, req.Param("version"));
  if (!version.ok()) return respond(ErrorResponse(version.status()));
  auto done = [respond = std::move(respond), model, v = *version, message](Status status) {
    respond(status.ok() ? StatusMessage(message(model, v)) : ErrorResponse(status));
  };
  (core->*change)(std::move(model), *version, std::move(done));
}

void UnregisterVersion(ServerCore* core, HttpRequest& req, Responder respond) {
  ChangeVersion(core, req, std::move(respond), &ServerCore::UnloadVersion,
                [](const std::string& model, int64_t v) {
                  return "Model \"" + model + "\" version " + std::to_string(v) + " unregistered";
                });
}

void SetDefault(ServerCore* core, HttpRequest& req, Responder respond) {
  ChangeVersion(core, req, std::move(respond), &ServerCore::SetDefaultVersion,
                [](const std::string& model, int64_t v) {
                  return "Default version successfully updated for model \"" + model + "\" to \"" +
                         std::to_string(v) + "\"";
                });
}

int InstanceCount(const inference::ModelConfig& config) {
  int instances = 0;
  for (const auto& group : config.instance_group()) instances += group.count();
  return instances;
}

HttpResponse WithStatus(HttpResponse response, unsigned status) {
  response.status = status;
  return response;
}

// PUT /models/{m}?min_worker=N[&max_worker=M][&synchronous=true]: inferd runs
// min_worker instances of the model (a TorchServe worker is one instance).
// The new count loads and warms up beside the old one, then takes over.
// As TorchServe: 202 "Processing worker updates..." at once, or with
// synchronous=true 200 "Workers scaled to N for model: m" when done.
void ScaleWorkers(ServerCore* core, HttpRequest& req, Responder respond) {
  const std::string model(req.Param("model"));
  auto min_worker = NonNegative(QueryValue(req.query, "min_worker"), "min_worker", 1);
  if (!min_worker.ok()) return respond(ErrorResponse(min_worker.status()));
  auto max_worker = NonNegative(QueryValue(req.query, "max_worker"), "max_worker", *min_worker);
  if (!max_worker.ok()) return respond(ErrorResponse(max_worker.status()));
  if (*max_worker < *min_worker) {
    return respond(ErrorResponse(InvalidArgument("max_worker cannot be less than min_worker.")));
  }
  if (*min_worker < 1 || *min_worker > 1024) {
    return respond(ErrorResponse(InvalidArgument(
        "min_worker must be 1 to 1024: inferd serves a model with at least one instance")));
  }
  // Everything that can be checked now is, before a 202 promises anything.
  if (Status mode = core->CheckExplicitMode(); !mode.ok()) return respond(ErrorResponse(mode));
  if (auto handle = core->GetModel(model, ""); !handle.ok()) {
    return respond(ErrorResponse(handle.status().code() == StatusCode::kNotFound
                                     ? NotFound("Model not found: " + model)
                                     : handle.status()));
  }
  const bool synchronous = QueryValue(req.query, "synchronous") == "true";
  const std::string done_message =
      "Workers scaled to " + std::to_string(*min_worker) + " for model: " + model;
  if (!synchronous) {
    respond(WithStatus(StatusMessage("Processing worker updates..."), 202));
    respond = [](HttpResponse) {};
  }
  core->SetInstanceCount(
      model, static_cast<int>(*min_worker),
      [respond = std::move(respond), done_message](Status status) {
        respond(status.ok() ? StatusMessage(done_message) : ErrorResponse(status));
      });
}

std::string RegisteredMessage(const std::string& model, int64_t version, int workers) {
  return "Model \"" + model + "\" Version: " + std::to_string(version) + " registered with " +
         std::to_string(workers) + " initial workers";
}

// POST /models?url=...[&model_name=...]: `url` is a model directory of the
// repository (loaded, explicit model control), or a model file or version
// directory on the server (registered in the model registry as the model's
// next version, copied in and loaded by policy). inferd fetches nothing from
// the network and reads no .mar archives.
void RegisterModel(ServerCore* core, HttpRequest& req, Responder respond) {
  const std::string url = http::QueryParam(req.query, "url").value_or("");
  std::string model = http::QueryParam(req.query, "model_name").value_or("");
  if (url.empty()) return respond(ErrorResponse(InvalidArgument("Parameter url is required.")));
  if (url.find("://") != std::string::npos && !url.starts_with("file://")) {
    return respond(ErrorResponse(InvalidArgument(
        "url must be a model directory in the repository or a file on the server; inferd "
        "downloads nothing")));
  }
  const bool repository_model = url.find('/') == std::string::npos && !url.ends_with(".onnx");
  auto answer = [core, respond](const std::string& name) {
    auto handle = core->GetModel(name, "");
    if (!handle.ok()) return respond(ErrorResponse(handle.status()));
    respond(StatusMessage(
        RegisteredMessage(name, (*handle)->version, InstanceCount((*handle)->config))));
  };
  if (repository_model) {
    if (!model.empty() && model != url) {
      return respond(ErrorResponse(InvalidArgument(
          "model_name '" + model + "' must be the model directory's name '" + url + "'")));
    }
    return core->LoadModel(url, std::nullopt, [answer, url, respond](Status status) {
      if (!status.ok()) return respond(ErrorResponse(status));
      answer(url);
    });
  }
  if (model.empty()) {
    return respond(ErrorResponse(InvalidArgument(
        "model_name is required when url is a file: it names the model to register")));
  }
  core->RunRegistryChange([core, model, url, answer, respond](Status ok) {
    if (!ok.ok()) return respond(ErrorResponse(ok));
    NewVersionRequest request;
    request.model = model;
    request.source = url;
    auto version = core->registry().CreateVersion(request);
    if (!version.ok()) return respond(ErrorResponse(version.status()));
    answer(model);
  });
}

}  // namespace

void AddTorchServeManagementRoutes(ServerCore* core, http::Router& router) {
  auto route = [core](void (*fn)(ServerCore*, HttpRequest&, Responder)) {
    return [core, fn](HttpRequest& req, Responder respond) { fn(core, req, std::move(respond)); };
  };
  using pipeline::RouteKind;
  const http::RouteInfo read{RouteKind::kRead, &kTorchServeErrors};
  const http::RouteInfo admin{RouteKind::kAdmin, &kTorchServeErrors};
  // POST /models names its model in the query (model_name).
  const http::RouteInfo register_model{
      RouteKind::kAdmin, &kTorchServeErrors,
      [](const HttpRequest& req, std::string& model, std::string&) {
        // As the handler decides: a repository directory's name in url, or
        // model_name for a file.
        const std::string url = http::QueryParam(req.query, "url").value_or("");
        model = http::QueryParam(req.query, "model_name").value_or("");
        if (url.find('/') == std::string::npos && !url.ends_with(".onnx")) model = url;
      }};
  router.Add(http::Method::kGet, "/models", read, route(&ListModels));
  router.Add(http::Method::kPost, "/models", register_model, route(&RegisterModel));
  router.Add(http::Method::kPut, "/models/{model}", admin, route(&ScaleWorkers));
  router.Add(http::Method::kGet, "/models/{model}", read, route(&DescribeModel));
  router.Add(http::Method::kGet, "/models/{model}/{version}", read, route(&DescribeModel));
  router.Add(http::Method::kDelete, "/models/{model}/{version}", admin, route(&UnregisterVersion));
  router.Add(http::Method::kPut, "/models/{model}/{version}/set-default", admin,
             route(&SetDefault));
}

}  // namespace inferd::torchserve
