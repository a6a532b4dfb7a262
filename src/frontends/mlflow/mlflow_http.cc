#include "frontends/mlflow/mlflow_http.h"

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/model_selection.h"
#include "frontends/mlflow/mlflow_codec.h"

namespace inferd::mlflow {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

class MlflowHttp {
 public:
  MlflowHttp(ServerCore* core, std::string default_model)
      : core_(core), default_model_(std::move(default_model)) {}

  void Health(HttpRequest&, Responder respond) {
    if (!core_->IsReady()) return respond(ErrorResponse(Unavailable("the server is not ready")));
    respond(HttpResponse{200, "application/json", "\n", {}});
  }

  void Version(HttpRequest&, Responder respond) {
    respond(HttpResponse{200, "text/plain", std::string(ServerCore::Version()), {}});
  }

  void Invocations(HttpRequest& req, Responder respond) {
    const ContentKind kind = ClassifyContentType(req.Header("content-type"));
    if (kind == ContentKind::kUnsupported) {
      return respond(
          ErrorAnswer(415, "BAD_REQUEST",
                      "this predictor only supports the content types application/json and "
                      "text/csv; got '" +
                          std::string(req.Header("content-type")) + "'"));
    }
    auto name =
        http::SelectModel(*core_, req.Header("x-model"), default_model_, "the X-Model header");
    if (!name.ok()) return respond(ErrorResponse(name.status()));
    const std::string version(req.Header("x-model-version"));
    auto model = core_->GetModel(*name, version);
    if (!model.ok()) return respond(ErrorResponse(model.status()));
    ModelHandle handle = std::move(model).value();
    auto inputs = DecodeInvocation(kind, *req.body, handle->signature);
    if (!inputs.ok()) return respond(ErrorResponse(inputs.status()));
    InferRequest request;
    request.inputs = std::move(inputs).value();
    request.requested_outputs = OutputsToRequest(handle->signature);
    request.protocol = "mlflow";
    request.cancelled = req.ClientGone();
    core_->Infer(handle, std::move(request), [handle, respond](StatusOr<InferResponse> result) {
      if (!result.ok()) return respond(ErrorResponse(result.status()));
      auto body = EncodeInvocationResponse(*result, handle->signature);
      if (!body.ok()) return respond(ErrorResponse(body.status()));
      HttpResponse response;
      response.body = std::move(body).value();
      respond(std::move(response));
    });
  }

 private:
  ServerCore* core_;
  std::string default_model_;
};

}  // namespace

HttpResponse ErrorAnswer(unsigned status, std::string_view error_code, std::string_view message) {
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("error_code");
  w.String(error_code.data(), static_cast<rapidjson::SizeType>(error_code.size()));
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  HttpResponse response;
  response.status = status;
  response.body = buffer.Release();
  return response;
}

HttpResponse ErrorResponse(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return ErrorAnswer(404, "RESOURCE_DOES_NOT_EXIST", status.message());
    case StatusCode::kUnavailable:
      return ErrorAnswer(503, "TEMPORARILY_UNAVAILABLE", status.message());
    case StatusCode::kResourceExhausted:
      return ErrorAnswer(429, "REQUEST_LIMIT_EXCEEDED", status.message());
    case StatusCode::kDeadlineExceeded:
      return ErrorAnswer(504, "DEADLINE_EXCEEDED", status.message());
    case StatusCode::kUnsupported:
      return ErrorAnswer(501, "NOT_IMPLEMENTED", status.message());
    case StatusCode::kInternal:
      return ErrorAnswer(500, "INTERNAL_ERROR", status.message());
    case StatusCode::kUnauthenticated:
      return ErrorAnswer(401, "UNAUTHENTICATED", status.message());
    case StatusCode::kPermissionDenied:
      return ErrorAnswer(403, "PERMISSION_DENIED", status.message());
    default:
      return ErrorAnswer(400, "BAD_REQUEST", status.message());
  }
}

void AddMlflowRoutes(ServerCore* core, std::string default_model, http::Router& router) {
  auto api = std::make_shared<MlflowHttp>(core, default_model);
  auto bind = [api](void (MlflowHttp::*method)(HttpRequest&, Responder)) {
    return [api, method](HttpRequest& req, Responder respond) {
      ((*api).*method)(req, std::move(respond));
    };
  };
  static const http::ProtocolErrors kErrors{"mlflow-http", &ErrorResponse,
                                            &ModelManager::UnknownModel};
  http::RouteInfo infer{pipeline::RouteKind::kInfer, &kErrors};
  infer.model_required = true;
  infer.target = [core, default_model](const HttpRequest& req, std::string& model,
                                       std::string& version) {
    auto name = http::SelectModel(*core, req.Header("x-model"), default_model, "");
    if (name.ok()) model = *name;
    version = std::string(req.Header("x-model-version"));
  };
  router.Add(http::Method::kPost, "/invocations", infer, bind(&MlflowHttp::Invocations));
  router.Add(http::Method::kGet, "/health", {pipeline::RouteKind::kHealth, &kErrors},
             bind(&MlflowHttp::Health));
  router.Add(http::Method::kGet, "/version", {pipeline::RouteKind::kHealth, &kErrors},
             bind(&MlflowHttp::Version));
}

}  // namespace inferd::mlflow
