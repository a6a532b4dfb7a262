#include "frontends/torchserve/torchserve_http.h"

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/torchserve/torchserve_codec.h"

namespace inferd::torchserve {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

void Ping(ServerCore* core, HttpRequest&, Responder respond) {
  const bool ready = core->IsReady();
  HttpResponse response;
  response.status = ready ? 200 : 500;
  response.body = ready ? R"({"status":"Healthy"})" : R"({"status":"Unhealthy"})";
  respond(std::move(response));
}

void Predict(ServerCore* core, HttpRequest& req, Responder respond) {
  auto model = core->GetModel(req.Param("model"), req.Param("version"));
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  ModelHandle handle = std::move(model).value();
  auto decoded = DecodePredictionBody(req.Header("content-type"), *req.body, handle->signature);
  if (!decoded.ok()) return respond(ErrorResponse(decoded.status()));
  InferRequest request;
  request.inputs = std::move(decoded->inputs);
  request.protocol = "torchserve";
  request.cancelled = req.ClientGone();
  core->Infer(handle, std::move(request),
              [handle, single = decoded->single_row, respond](StatusOr<InferResponse> result) {
                if (!result.ok()) return respond(ErrorResponse(result.status()));
                auto body = EncodePredictionResponse(*result, handle->signature, single);
                if (!body.ok()) return respond(ErrorResponse(body.status()));
                HttpResponse response;
                response.body = std::move(body).value();
                respond(std::move(response));
              });
}

}  // namespace

HttpResponse ErrorResponse(const Status& status) {
  unsigned code = 400;
  const char* type = "BadRequestException";
  switch (status.code()) {
    case StatusCode::kNotFound:
      code = 404;
      type = "ModelNotFoundException";
      break;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
      code = 503;
      type = "ServiceUnavailableException";
      break;
    case StatusCode::kDeadlineExceeded:
      code = 408;
      type = "RequestTimeoutException";
      break;
    case StatusCode::kInternal:
      code = 500;
      type = "InternalServerException";
      break;
    case StatusCode::kUnsupported:
      code = 501;
      type = "NotImplementedException";
      break;
    case StatusCode::kPermissionDenied:
      code = 403;
      type = "PermissionDeniedException";
      break;
    case StatusCode::kUnauthenticated:
      code = 401;
      type = "AuthenticationException";
      break;
    default:
      break;
  }
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("code");
  w.Uint(code);
  w.Key("type");
  w.String(type);
  w.Key("message");
  w.String(status.message().data(), static_cast<rapidjson::SizeType>(status.message().size()));
  w.EndObject();
  HttpResponse response;
  response.status = code;
  response.body = buffer.Release();
  return response;
}

Status UnknownTorchServeModel(std::string_view model) {
  return NotFound("Model not found: " + std::string(model));
}

const http::ProtocolErrors kTorchServeErrors{"torchserve-http", &ErrorResponse,
                                             &UnknownTorchServeModel};

void AddTorchServeRoutes(ServerCore* core, http::Router& router) {
  // Predictions of an unknown model answer in the core's words (management
  // calls in TorchServe's "Model not found").
  static const http::ProtocolErrors kInferenceErrors{"torchserve-http", &ErrorResponse,
                                                     &ModelManager::UnknownModel};
  const http::RouteInfo health{pipeline::RouteKind::kHealth, &kTorchServeErrors};
  const http::RouteInfo infer{pipeline::RouteKind::kInfer, &kInferenceErrors};
  router.Add(http::Method::kGet, "/ping", health,
             [core](HttpRequest& req, Responder respond) { Ping(core, req, std::move(respond)); });
  // TorchServe takes PUT as well as POST (`curl -T file URL` sends PUT).
  for (const char* pattern : {"/predictions/{model}", "/predictions/{model}/{version}"}) {
    for (const auto method : {http::Method::kPost, http::Method::kPut}) {
      router.Add(method, pattern, infer, [core](HttpRequest& req, Responder respond) {
        Predict(core, req, std::move(respond));
      });
    }
  }
}

}  // namespace inferd::torchserve
