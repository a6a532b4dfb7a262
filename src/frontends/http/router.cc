#include "frontends/http/router.h"

#include <filesystem>

#include "core/model_visibility.h"
#include "core/routing/route_keys_scope.h"
#include "frontends/http/http_route_keys.h"
#include "observability/request_scope.h"
#include "pipeline/auth/authorization_filter.h"
#include "pipeline/request_scope_link.h"

namespace inferd::http {
namespace {

class RequestHeaders final : public pipeline::HeaderSource {
 public:
  explicit RequestHeaders(const HttpRequest& request) : request_(request) {}
  std::string_view Get(std::string_view lower_name) const override {
    return request_.Header(lower_name);
  }

 private:
  const HttpRequest& request_;
};

HttpResponse RenderRefusal(const RouteInfo* info, const pipeline::RequestContext& context,
                           const pipeline::Refusal& refusal) {
  HttpResponse response;
  if (info == nullptr) {
    response = StatusJsonError(refusal.status);
  } else if (refusal.as_unknown_model) {
    response = info->errors->render(info->errors->unknown_model(context.model));
  } else {
    response = info->errors->render(refusal.status);
  }
  // Over a limit is 429 in every protocol, whatever it calls a full queue.
  if (refusal.status.code() == StatusCode::kResourceExhausted) response.status = 429;
  for (const auto& header : refusal.headers) response.headers.push_back(header);
  return response;
}

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kHead:
      return "HEAD";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      break;
  }
  return "OTHER";
}

void DefaultTarget(const HttpRequest& request, std::string& model, std::string& version) {
  model = std::string(request.Param("model"));
  version = std::string(request.Param("version"));
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  out.reserve(8);
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    const size_t end = path.find('/', pos);
    const size_t stop = end == std::string_view::npos ? path.size() : end;
    out.push_back(path.substr(pos, stop - pos));
    pos = stop;
  }
  return out;
}

// Names the model and version the request is for, then runs the pipeline's
// target phase (authorization, per-model limits).
std::optional<pipeline::Refusal> TargetPhase(const pipeline::Pipeline& chain, const RouteInfo* info,
                                             const HttpRequest& request,
                                             pipeline::RequestContext& context) {
  if (info == nullptr) return std::nullopt;
  if (info->target) {
    info->target(request, context.model, context.version);
  } else {
    DefaultTarget(request, context.model, context.version);
  }
  RequestHeaders headers(request);
  context.headers = &headers;
  auto refusal = chain.RunTarget(context);
  context.headers = nullptr;
  return refusal;
}

}  // namespace

void Router::Add(Method method, std::string_view pattern, RouteInfo info, HttpHandler handler) {
  Route route{method, std::string(pattern), {}, std::move(info), std::move(handler)};
  for (auto segment : SplitPath(pattern)) route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& path,
                   HttpRequest& request) {
  if (route.segments.size() != path.size()) return false;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& want = route.segments[i];
    const bool capture = want.size() > 2 && want.front() == '{' && want.back() == '}';
    if (!capture && want != path[i]) return false;
    if (capture && path[i].empty()) return false;
  }
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& want = route.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      request.params[want.substr(1, want.size() - 2)] = std::string(path[i]);
    }
  }
  return true;
}

void Router::Dispatch(HttpRequest& request, Responder respond) const {
  Finish(Begin(request), request, std::move(respond));
}

std::shared_ptr<Router::PendingCall> Router::Begin(HttpRequest& request) const {
  auto call = std::make_shared<PendingCall>();
  const auto path = SplitPath(request.path);
  bool path_known = false;
  for (const Route& route : routes_) {
    if (!Match(route, path, request)) continue;
    path_known = true;
    if (route.method == request.method ||
        (request.method == Method::kHead && route.method == Method::kGet)) {
      call->route = &route;
      break;
    }
    request.params.clear();
  }
  if (call->route == nullptr) {
    call->answer_now = path_known ? JsonError(405, "method not allowed for " + request.path)
                                  : JsonError(404, "no route for " + request.path);
  }
  if (pipeline_ == nullptr) return call;

  auto context = std::make_shared<pipeline::RequestContext>();
  const RouteInfo* info = call->route ? &call->route->info : nullptr;
  // An unknown path names nothing and is answered 404/405 to anyone.
  context->protocol = info ? info->errors->protocol : std::string_view("http");
  context->kind = info ? info->kind : pipeline::RouteKind::kHealth;
  context->route = call->route ? call->route->pattern : request.path;
  context->method = MethodName(request.method);
  if (info != nullptr) {
    context->server_wide = info->server_wide;
    context->model_required = info->model_required;
  }
  context->client_address = request.remote_address;
  context->client_is_loopback = request.remote_is_loopback;
  context->tls_peer = request.tls_peer;
  RequestHeaders headers(request);
  context->headers = &headers;
  call->refusal = pipeline_->RunCall(*context);
  context->headers = nullptr;
  // A model named in the path or the headers is checked now too; one named
  // in the body waits for it (no refused caller gets its body parsed).
  if (!call->refusal && !call->answer_now && !info->target_reads_body) {
    call->refusal = TargetPhase(*pipeline_, info, request, *context);
    call->targeted = true;
  }
  call->context = std::move(context);
  return call;
}

void Router::Finish(std::shared_ptr<PendingCall> call, HttpRequest& request,
                    Responder respond) const {
  const Route* route = call->route;
  if (call->context == nullptr) {
    if (call->answer_now) return respond(std::move(*call->answer_now));
    HttpRouteKeys keys(request, nullptr);
    ScopedRouteKeys keyed(&keys);
    return route->handler(request, std::move(respond));
  }
  std::shared_ptr<pipeline::RequestContext> context = call->context;
  const RouteInfo* info = route ? &route->info : nullptr;
  const uint64_t bytes_in = request.body ? request.body->size() : 0;
  std::shared_ptr<const pipeline::Pipeline> chain = pipeline_;
  // The request as its log lines, and the core's threads, see it.
  auto scope = pipeline::MakeRequestScope(*context);
  // Every answer, refusals included, carries the filters' headers and ends
  // the request in the filters (access log).
  Responder finish = [chain, context, scope, bytes_in,
                      respond = std::move(respond)](HttpResponse response) {
    // The body may have named the request (KServe's `id`).
    pipeline::TakeNamedRequestId(*context, *scope);
    response.headers.reserve(response.headers.size() + context->response_headers.size() + 4);
    for (const auto& header : context->response_headers) response.headers.push_back(header);
    pipeline::AddServedByHeaders(*scope,
                                 [&response](std::string_view name, std::string_view value) {
                                   response.headers.emplace_back(name, value);
                                 });
    // A file body is counted by its size (what the connection will send).
    std::error_code size_error;
    const uint64_t bytes_out = response.body_file.empty()
                                   ? response.body.size()
                                   : std::filesystem::file_size(response.body_file, size_error);
    pipeline::Outcome outcome{static_cast<int>(response.status), "http", bytes_in,
                              size_error ? 0 : bytes_out};
    pipeline::AddExecutionTimes(outcome, *scope);
    // The request is over for the limits before its client hears so: its
    // next request must find the permit back.
    context->held.clear();
    respond(std::move(response));
    chain->Done(*context, outcome);
  };
  std::optional<pipeline::Refusal> refusal = std::move(call->refusal);
  if (!refusal && !call->answer_now && !call->targeted) {
    refusal = TargetPhase(*chain, info, request, *context);
  }
  if (refusal) return finish(RenderRefusal(info, *context, *refusal));
  if (call->answer_now) return finish(std::move(*call->answer_now));
  ScopedRequest logged_as(scope);
  ScopedModelVisibility visibility(pipeline::VisibilityOf(context->identity));
  HttpRouteKeys keys(request, &context->identity);
  ScopedRouteKeys keyed(&keys);
  request.identity = &context->identity;
  route->handler(request, std::move(finish));
  request.identity = nullptr;
}

std::vector<std::pair<Method, std::string>> Router::Routes() const {
  std::vector<std::pair<Method, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

}  // namespace inferd::http
