// Maps method + path to a handler. Patterns are literal segments and
// "{name}" captures, e.g. "/v2/models/{model}/versions/{version}/infer".
// Not thread-safe to modify; read-only (and so thread-safe) once serving.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontends/http/http_types.h"
#include "pipeline/pipeline.h"

namespace inferd::http {

// How a protocol answers what the pipeline refuses, in its own error shape.
struct ProtocolErrors {
  std::string_view protocol;  // "kserve-http", "tfserving-http", ... (for logs)
  HttpResponse (*render)(const Status& status);
  // What the protocol answers for a model that does not exist: a model the
  // caller may not use is refused the same way, so names do not leak.
  Status (*unknown_model)(std::string_view model);
};

// What the pipeline needs to know of a route.
struct RouteInfo {
  pipeline::RouteKind kind;
  const ProtocolErrors* errors;
  // Where the model and version are named: path parameters by default; a
  // route may read them itself (TF Serving's "m:predict", MLflow's X-Model
  // header or default model).
  std::function<void(const HttpRequest& request, std::string& model, std::string& version)> target =
      nullptr;
  bool server_wide = false;     // acts on every model at once (API keys)
  bool model_required = false;  // serves one model it must name (MLflow, /predict)
  // `target` reads the body (/predict names its model there): the target
  // phase waits for the body instead of running on the headers.
  bool target_reads_body = false;
};

class Router {
  struct Route;

 public:
  // One request between its headers and its body: the route it matched
  // and the pipeline's verdict on the call (identity, limits).
  struct PendingCall {
    const Route* route = nullptr;
    std::optional<HttpResponse> answer_now;             // no such path (404) or method (405)
    std::shared_ptr<pipeline::RequestContext> context;  // null without a pipeline
    std::optional<pipeline::Refusal> refusal;
    bool targeted = false;  // the target phase ran on the headers
    bool refused() const { return refusal.has_value(); }
  };

  void Add(Method method, std::string_view pattern, RouteInfo info, HttpHandler handler);
  // Every request then runs through `pipeline` before its handler;
  // refusals are answered in the route's shape. Requests share its
  // ownership: one still running when the server stops ends in it.
  void SetPipeline(std::shared_ptr<const pipeline::Pipeline> pipeline) {
    pipeline_ = std::move(pipeline);
  }

  // Runs the matching handler; answers 404 for an unknown path and 405 for a
  // known path with another method. Begin + Finish.
  void Dispatch(HttpRequest& request, Responder respond) const;
  // Once the headers are read (the body may still be on its way): matches
  // the route and runs the pipeline's call phase, and its target phase
  // unless the route's target reads the body, so a refused caller costs no
  // body decoding; the connection may answer a refusal without reading the
  // body at all.
  std::shared_ptr<PendingCall> Begin(HttpRequest& request) const;
  // With the body read (or given up on: `call->answer_now` set): the target
  // phase if it is still due, then the handler, or the refusal or
  // answer_now; every answer ends the request in the pipeline.
  void Finish(std::shared_ptr<PendingCall> call, HttpRequest& request, Responder respond) const;

  // The patterns registered, in order (for the OpenAPI document and tests).
  std::vector<std::pair<Method, std::string>> Routes() const;

 private:
  struct Route {
    Method method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteInfo info;
    HttpHandler handler;
  };
  static bool Match(const Route& route, const std::vector<std::string_view>& path,
                    HttpRequest& request);
  std::vector<Route> routes_;
  std::shared_ptr<const pipeline::Pipeline> pipeline_;
};

}  // namespace inferd::http
