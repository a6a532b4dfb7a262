#include "frontends/simple/predict_http.h"

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/model_selection.h"
#include "frontends/simple/predict_codec.h"

namespace inferd::simple {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

void Predict(ServerCore* core, const std::string& default_model, HttpRequest& req,
             Responder respond) {
  SchemaError schema_error;
  auto body = ParsePredictBody(*req.body, schema_error);
  if (!body)
    return respond(HttpResponse{422, "application/json", EncodeSchemaError(schema_error), {}});
  std::string_view given = req.Header("x-model");
  if (given.empty()) given = body->model;
  auto name =
      http::SelectModel(*core, given, default_model, "the X-Model header or the \"model\" field");
  if (!name.ok()) return respond(ErrorResponse(name.status()));
  const std::string version = NormalizeVersion(req.Header("x-model-version"));
  auto model = core->GetModel(*name, version);
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  ModelHandle handle = std::move(model).value();
  auto inputs = FeaturesToTensors(*body, handle->signature);
  if (!inputs.ok()) return respond(ErrorResponse(inputs.status()));
  InferRequest request;
  request.inputs = std::move(inputs).value();
  request.protocol = "predict";
  request.cancelled = req.ClientGone();
  core->Infer(handle, std::move(request),
              [handle, single = body->single_row, respond](StatusOr<InferResponse> result) {
                if (!result.ok()) return respond(ErrorResponse(result.status()));
                auto encoded = EncodePredictResponse(*result, handle->signature, single);
                if (!encoded.ok()) return respond(ErrorResponse(encoded.status()));
                HttpResponse response;
                response.body = std::move(encoded).value();
                response.headers.emplace_back("X-Model-Version",
                                              std::to_string(result->model_version));
                respond(std::move(response));
              });
}

}  // namespace

HttpResponse ErrorResponse(const Status& status) {
  const unsigned code = http::HttpStatusFor(status);
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("detail");
  w.String(status.message().data(), static_cast<rapidjson::SizeType>(status.message().size()));
  w.EndObject();
  return HttpResponse{code, "application/json", buffer.Release(), {}};
}

void AddSimpleRoutes(ServerCore* core, std::string default_model, http::Router& router) {
  static const http::ProtocolErrors kErrors{"predict-http", &ErrorResponse,
                                            &ModelManager::UnknownModel};
  http::RouteInfo infer{pipeline::RouteKind::kInfer, &kErrors};
  infer.model_required = true;
  infer.target_reads_body = true;
  infer.target = [core, default_model](const HttpRequest& req, std::string& model,
                                       std::string& version) {
    std::string_view given = req.Header("x-model");
    std::string from_body;
    if (given.empty()) {
      SchemaError ignored;
      if (auto body = ParsePredictBody(*req.body, ignored)) from_body = body->model;
      given = from_body;
    }
    auto name = http::SelectModel(*core, given, default_model, "");
    if (name.ok()) model = *name;
    version = NormalizeVersion(req.Header("x-model-version"));
  };
  router.Add(http::Method::kPost, "/predict", infer,
             [core, default_model = std::move(default_model)](HttpRequest& req, Responder respond) {
               Predict(core, default_model, req, std::move(respond));
             });
}

}  // namespace inferd::simple
