#include "frontends/kserve/kserve_http.h"

#include <charconv>

#include "core/model_config.h"
#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/kserve/kserve_infer_codec.h"
#include "frontends/kserve/kserve_repository_codec.h"
#include "frontends/kserve/kserve_statistics.h"
#include "frontends/kserve/server_extensions.h"

namespace inferd::kserve {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::JsonWriter;
using http::Method;
using http::Responder;

HttpResponse ErrorResponse(const Status& status) {
  return http::StatusJsonError(status);
}

const http::ProtocolErrors kErrors{"kserve-http", &ErrorResponse, &ModelManager::UnknownModel};

HttpResponse JsonResponse(http::JsonBuffer& buffer) {
  HttpResponse response;
  response.body = buffer.Release();
  return response;
}

void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void WriteTensorSpecs(JsonWriter& w, const std::vector<TensorSpec>& specs) {
  w.StartArray();
  for (const TensorSpec& spec : specs) {
    w.StartObject();
    w.Key("name");
    WriteString(w, spec.name);
    w.Key("datatype");
    WriteString(w, DataTypeName(spec.dtype));
    w.Key("shape");
    w.StartArray();
    for (int64_t d : spec.shape) w.Int64(d);
    w.EndArray();
    if (!spec.class_labels.empty()) {
      w.Key("parameters");
      w.StartObject();
      w.Key("class_labels");
      w.StartArray();
      for (const auto& label : spec.class_labels) WriteString(w, label);
      w.EndArray();
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
}

class KServeHttp {
 public:
  KServeHttp(ServerCore* core, std::shared_ptr<SharedMemoryRegions> regions)
      : core_(core), regions_(std::move(regions)) {}

  // Health answers carry the Open Inference Protocol's JSON body, which the
  // kserve SDK parses ({"live": true}); Triton's clients read only the status.
  void Live(HttpRequest&, Responder respond) {
    respond(core_->IsLive() ? HttpResponse{200, "application/json", R"({"live":true})", {}}
                            : HealthError("live", "server is not live"));
  }

  void Ready(HttpRequest&, Responder respond) {
    respond(core_->IsReady() ? HttpResponse{200, "application/json", R"({"ready":true})", {}}
                             : HealthError("ready", "server is not ready"));
  }

  static HttpResponse HealthError(std::string_view key, std::string_view message) {
    http::JsonBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.Bool(false);
    w.Key("error");
    WriteString(w, message);
    w.EndObject();
    HttpResponse response = JsonResponse(buffer);
    response.status = 400;
    return response;
  }

  void ServerMetadata(HttpRequest&, Responder respond) {
    http::JsonBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("name");
    WriteString(w, ServerCore::Name());
    w.Key("version");
    WriteString(w, ServerCore::Version());
    w.Key("extensions");
    w.StartArray();
    for (const char* ext : kServerExtensions) {
      w.String(ext);
    }
    w.EndArray();
    w.EndObject();
    respond(JsonResponse(buffer));
  }

  void ModelMetadata(HttpRequest& req, Responder respond) {
    auto model = core_->GetModel(req.Param("model"), req.Param("version"));
    if (!model.ok()) return respond(ErrorResponse(model.status()));
    const LoadedModel& m = **model;
    http::JsonBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("name");
    WriteString(w, m.name);
    w.Key("versions");
    w.StartArray();
    for (int64_t version : core_->ReadyVersions(m.name)) WriteString(w, std::to_string(version));
    w.EndArray();
    w.Key("platform");
    WriteString(w, m.config.platform());
    w.Key("inputs");
    WriteTensorSpecs(w, m.signature.inputs);
    w.Key("outputs");
    WriteTensorSpecs(w, m.signature.outputs);
    w.EndObject();
    respond(JsonResponse(buffer));
  }

  void ModelReady(HttpRequest& req, Responder respond) {
    // A route is ready when every variant it sends traffic to is.
    Status ready = core_->Readiness(req.Param("model"), req.Param("version"));
    if (ready.ok()) {
      http::JsonBuffer buffer;
      JsonWriter w(buffer);
      w.StartObject();
      w.Key("name");
      WriteString(w, std::string(req.Param("model")));
      w.Key("ready");
      w.Bool(true);
      w.EndObject();
      return respond(JsonResponse(buffer));
    }
    const unsigned code = ready.code() == StatusCode::kNotFound ? 404 : 400;
    respond(http::JsonError(code, ready.message()));
  }

  void ModelConfig(HttpRequest& req, Responder respond) {
    auto model = core_->GetModel(req.Param("model"), req.Param("version"));
    if (!model.ok()) return respond(ErrorResponse(model.status()));
    HttpResponse response;
    response.body = ModelConfigToJson((*model)->config);
    respond(std::move(response));
  }

  void Statistics(HttpRequest& req, Responder respond) {
    auto stats = core_->Statistics(req.Param("model"), req.Param("version"));
    if (!stats.ok()) return respond(ErrorResponse(stats.status()));
    HttpResponse response;
    response.body = StatisticsToJson(*stats);
    respond(std::move(response));
  }

  void RepositoryIndex(HttpRequest& req, Responder respond) {
    auto body = ParseOptionalObject(*req.body);
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    bool ready_only = false;
    if (*body) {
      simdjson::dom::element ready;
      if ((*body)->at_key("ready").get(ready) == simdjson::SUCCESS) {
        if (ready.type() != simdjson::dom::element_type::BOOL) {
          return respond(http::JsonError(400, "\"ready\" must be a bool"));
        }
        ready_only = bool(ready);
      }
    }
    http::JsonBuffer buffer;
    JsonWriter w(buffer);
    w.StartArray();
    for (const RepositoryIndexEntry& e : core_->RepositoryIndex(ready_only)) {
      w.StartObject();
      w.Key("name");
      WriteString(w, e.name);
      if (e.version > 0) {
        w.Key("version");
        WriteString(w, std::to_string(e.version));
      }
      if (!e.state.empty()) {
        w.Key("state");
        WriteString(w, e.state);
      }
      if (!e.reason.empty()) {
        w.Key("reason");
        WriteString(w, e.reason);
      }
      w.EndObject();
    }
    w.EndArray();
    respond(JsonResponse(buffer));
  }

  // POST /v2/repository/models/{m}/load: {"parameters": {"config": "<json>"}}.
  void RepositoryLoad(HttpRequest& req, Responder respond) {
    auto body = ParseOptionalObject(*req.body);
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    std::optional<std::string> config;
    if (*body) {
      auto params = LoadConfigOverride(**body);
      if (!params.ok()) return respond(ErrorResponse(params.status()));
      config = std::move(params).value();
    }
    core_->LoadModel(std::string(req.Param("model")), std::move(config), Answer(respond));
  }

  // PUT /v2/repository/models/{m}/labels/{label} {"version": N} (inferd's
  // extension: TF Serving-style labels set while running).
  void SetLabel(HttpRequest& req, Responder respond) {
    auto body = ParseOptionalObject(*req.body);
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    auto version = *body ? LabelVersion(**body)
                         : StatusOr<int64_t>(InvalidArgument("the body must be {\"version\": N}"));
    if (!version.ok()) return respond(ErrorResponse(version.status()));
    core_->SetVersionLabel(std::string(req.Param("model")), std::string(req.Param("label")),
                           *version, Answer(respond));
  }

  void RemoveLabel(HttpRequest& req, Responder respond) {
    core_->RemoveVersionLabel(std::string(req.Param("model")), std::string(req.Param("label")),
                              Answer(respond));
  }

  // POST /v2/repository/models/{m}/unload.
  void RepositoryUnload(HttpRequest& req, Responder respond) {
    auto body = ParseOptionalObject(*req.body);
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    core_->UnloadModel(std::string(req.Param("model")), Answer(respond));
  }

  void Infer(HttpRequest& req, Responder respond) {
    int64_t header_length = -1;
    if (req.HasHeader("inference-header-content-length")) {
      const std::string_view value = req.Header("inference-header-content-length");
      int64_t parsed = 0;
      bool valid = !value.empty() && value.size() <= 18;
      for (char c : value) {
        if (c < '0' || c > '9') valid = false;
        parsed = parsed * 10 + (c - '0');
      }
      if (!valid) {
        return respond(http::JsonError(400,
                                       "Inference-Header-Content-Length must be a "
                                       "non-negative integer"));
      }
      header_length = parsed;
    }
    auto decoded = DecodeInferRequest(req.body, header_length, regions_.get());
    if (!decoded.ok()) return respond(ErrorResponse(decoded.status()));
    InferRequest& request = decoded->request;
    request.model_name = std::string(req.Param("model"));
    request.model_version = std::string(req.Param("version"));
    request.cancelled = req.ClientGone();
    // Triton's `timeout` (microseconds) may also come as a header.
    if (req.HasHeader("timeout")) {
      const std::string_view value = req.Header("timeout");
      uint64_t micros = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), micros);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return respond(http::JsonError(400, "the Timeout header must be microseconds, an integer"));
      }
      if (micros > 0) request.timeout = std::chrono::microseconds(micros);
    }
    core_->Infer(std::move(request), [options = std::move(decoded->options), respond,
                                      regions = regions_](StatusOr<InferResponse> result) {
      if (!result.ok()) return respond(ErrorResponse(result.status()));
      Status written = WriteOutputsToSharedMemory(regions.get(), options.shared_memory, *result);
      if (!written.ok()) return respond(ErrorResponse(written));
      respond(EncodeInferResponse(*result, options));
    });
  }

 private:
  // The answer to a call that changes what serves: empty on success (as in
  // Triton), the error otherwise.
  static ServerCore::AdminDone Answer(Responder respond) {
    return [respond = std::move(respond)](Status status) {
      respond(status.ok() ? HttpResponse{200, "", "", {}} : ErrorResponse(status));
    };
  }

  ServerCore* core_;
  std::shared_ptr<SharedMemoryRegions> regions_;
};

}  // namespace

void AddKServeHttpRoutes(ServerCore* core, std::shared_ptr<SharedMemoryRegions> regions,
                         http::Router& router) {
  auto api = std::make_shared<KServeHttp>(core, std::move(regions));
  auto bind = [api](void (KServeHttp::*method)(HttpRequest&, Responder)) {
    return [api, method](HttpRequest& req, Responder respond) {
      ((*api).*method)(req, std::move(respond));
    };
  };
  using pipeline::RouteKind;
  const http::RouteInfo health{RouteKind::kHealth, &kErrors};
  const http::RouteInfo read{RouteKind::kRead, &kErrors};
  const http::RouteInfo infer{RouteKind::kInfer, &kErrors};
  const http::RouteInfo admin{RouteKind::kAdmin, &kErrors};
  router.Add(Method::kGet, "/v2/health/live", health, bind(&KServeHttp::Live));
  router.Add(Method::kGet, "/v2/health/ready", health, bind(&KServeHttp::Ready));
  router.Add(Method::kGet, "/v2", read, bind(&KServeHttp::ServerMetadata));
  router.Add(Method::kPost, "/v2/repository/index", read, bind(&KServeHttp::RepositoryIndex));
  router.Add(Method::kPost, "/v2/repository/models/{model}/load", admin,
             bind(&KServeHttp::RepositoryLoad));
  router.Add(Method::kPost, "/v2/repository/models/{model}/unload", admin,
             bind(&KServeHttp::RepositoryUnload));
  router.Add(Method::kPut, "/v2/repository/models/{model}/labels/{label}", admin,
             bind(&KServeHttp::SetLabel));
  router.Add(Method::kDelete, "/v2/repository/models/{model}/labels/{label}", admin,
             bind(&KServeHttp::RemoveLabel));
  // Before /v2/models/{model}, as in Triton: "stats" here is not a model name.
  router.Add(Method::kGet, "/v2/models/stats", read, bind(&KServeHttp::Statistics));
  for (const char* prefix : {"/v2/models/{model}", "/v2/models/{model}/versions/{version}"}) {
    const std::string p(prefix);
    router.Add(Method::kGet, p, read, bind(&KServeHttp::ModelMetadata));
    router.Add(Method::kGet, p + "/ready", read, bind(&KServeHttp::ModelReady));
    router.Add(Method::kGet, p + "/config", read, bind(&KServeHttp::ModelConfig));
    router.Add(Method::kGet, p + "/stats", read, bind(&KServeHttp::Statistics));
    router.Add(Method::kPost, p + "/infer", infer, bind(&KServeHttp::Infer));
  }
}

}  // namespace inferd::kserve
