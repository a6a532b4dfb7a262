#include "frontends/tfserving/tfserving_http.h"

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/tfserving/tf_model_info.h"
#include "frontends/tfserving/tfserving_json.h"

namespace inferd::tfserving {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::Method;
using http::Responder;

HttpResponse Error(const Status& status) {
  return http::JsonError(TfHttpStatusFor(status), status.message());
}

HttpResponse Json(std::string body) {
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

// Which model version a path names: a version, a label, or (neither) the default.
struct Target {
  std::string model;
  std::string version;  // "" for the default
  std::string label;
  std::string verb;  // predict, classify, regress ("" for GET paths)
};

// The path's last segment may carry ":verb" ("logreg:predict", "3:predict").
Status SplitVerb(std::string& segment, std::string& verb) {
  const size_t colon = segment.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgument(
        "Malformed request: POST needs a :predict, :classify or :regress "
        "suffix");
  }
  verb = segment.substr(colon + 1);
  segment.resize(colon);
  if (verb != "predict" && verb != "classify" && verb != "regress") {
    return InvalidArgument("Malformed request: unknown method ':" + verb +
                           "' (use :predict, :classify or :regress)");
  }
  return Status::Ok();
}

StatusOr<Target> TargetOf(const HttpRequest& req, bool post) {
  Target t;
  auto param = [&](const char* name, const char* with_verb, bool& present) {
    const char* key = post && req.params.count(with_verb) ? with_verb : name;
    present = req.params.count(key) > 0;
    return std::string(req.Param(key));
  };
  bool has_model = false, has_version = false, has_label = false;
  t.model = param("model", "model_verb", has_model);
  t.version = param("version", "version_verb", has_version);
  t.label = param("label", "label_verb", has_label);
  if (post) {
    std::string& last = has_label ? t.label : has_version ? t.version : t.model;
    INFERD_RETURN_IF_ERROR(SplitVerb(last, t.verb));
  }
  if (has_version) INFERD_RETURN_IF_ERROR(ParseTfVersion(t.model, t.version).status());
  return t;
}

// The model (and version or label) a path names, for the pipeline: before
// the request is checked, so a malformed verb still names its model.
void PipelineTarget(const HttpRequest& req, std::string& model, std::string& version) {
  auto strip = [](std::string s) { return s.substr(0, s.rfind(':')); };
  model = req.params.count("model_verb") ? strip(std::string(req.Param("model_verb")))
                                         : std::string(req.Param("model"));
  if (req.params.count("version_verb")) version = strip(std::string(req.Param("version_verb")));
  if (req.params.count("version")) version = std::string(req.Param("version"));
  if (req.params.count("label_verb")) version = strip(std::string(req.Param("label_verb")));
  if (req.params.count("label")) version = std::string(req.Param("label"));
}

const http::ProtocolErrors kErrors{"tfserving-http", &Error, &ModelManager::UnknownModel};

class TfServingHttp {
 public:
  explicit TfServingHttp(ServerCore* core) : core_(core) {}

  void ListModels(HttpRequest&, Responder respond) {
    http::JsonBuffer buffer;
    http::JsonWriter w(buffer);
    w.StartObject();
    w.Key("models");
    w.StartArray();
    for (const std::string& name : core_->ModelNames()) {
      w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    }
    w.EndArray();
    w.EndObject();
    respond(Json(buffer.Release()));
  }

  // The version a target names: by number, by label, or the default.
  StatusOr<ModelHandle> Resolve(const Target& target) const {
    if (!target.label.empty()) return ResolveLabel(*core_, target.model, target.label);
    return core_->GetModel(target.model, target.version);
  }

  void GetStatus(HttpRequest& req, Responder respond) {
    auto target = TargetOf(req, false);
    if (!target.ok()) return respond(Error(target.status()));
    std::optional<int64_t> version;
    if (!target->version.empty()) version = ParseTfVersion(target->model, target->version).value();
    if (!target->label.empty()) {
      auto labelled = Resolve(*target);
      if (!labelled.ok()) return respond(Error(labelled.status()));
      version = (*labelled)->version;
    }
    auto status = ModelStatusFor(*core_, target->model, version);
    if (!status.ok()) return respond(Error(status.status()));
    // KServe v1 answers this path with {"name", "ready"}; TF Serving with
    // model_version_status. Both sets of fields are given, so both clients
    // read what they expect.
    const bool ready = Resolve(*target).ok();
    std::string body = TfJson(*status);
    http::JsonBuffer prefix;
    http::JsonWriter w(prefix);
    w.StartObject();
    w.Key("name");
    w.String(target->model.data(), static_cast<rapidjson::SizeType>(target->model.size()));
    w.Key("ready");
    w.Bool(ready);
    w.EndObject();
    std::string fields = prefix.Release();
    fields.pop_back();  // the closing brace
    body = fields + (body.size() > 2 ? "," + body.substr(1) : "}");
    respond(Json(std::move(body)));
  }

  void GetMetadata(HttpRequest& req, Responder respond) {
    auto target = TargetOf(req, false);
    if (!target.ok()) return respond(Error(target.status()));
    auto model = Resolve(*target);
    if (!model.ok()) return respond(Error(model.status()));
    tensorflow::serving::ModelSpec spec;
    spec.set_name((*model)->name);
    spec.mutable_version()->set_value((*model)->version);
    respond(Json("{\"model_spec\":" + TfJson(spec) + ",\"metadata\":{\"signature_def\":" +
                 TfJson(SignatureDefMapFor((*model)->signature)) + "}}"));
  }

  void Post(HttpRequest& req, Responder respond) {
    auto target = TargetOf(req, true);
    if (!target.ok()) return respond(Error(target.status()));
    auto model = Resolve(*target);
    if (!model.ok()) return respond(Error(model.status()));
    const ModelHandle& handle = *model;
    if (target->verb == "predict") return Predict(req, handle, std::move(respond));
    Examples(req, handle, target->verb == "classify", std::move(respond));
  }

 private:
  // Ties the request to its connection (the version is the handle that decoded it).
  static void BindConnection(InferRequest& request, const HttpRequest& req) {
    request.protocol = "tfserving_http";
    request.cancelled = req.ClientGone();
  }

  void Predict(HttpRequest& req, const ModelHandle& handle, Responder respond) {
    auto decoded = DecodePredictRequest(*req.body, handle->signature);
    if (!decoded.ok()) return respond(Error(decoded.status()));
    BindConnection(decoded->request, req);
    core_->Infer(handle, std::move(decoded->request),
                 [format = decoded->format, respond](StatusOr<InferResponse> result) {
                   if (!result.ok()) return respond(Error(result.status()));
                   auto body = EncodePredictResponse(*result, format);
                   respond(body.ok() ? Json(std::move(body).value()) : Error(body.status()));
                 });
  }

  void Examples(HttpRequest& req, const ModelHandle& handle, bool classify, Responder respond) {
    auto set = DecodeExamplesRequest(*req.body);
    if (!set.ok()) return respond(Error(set.status()));
    auto request = ExamplesToRequest(*set, handle->signature);
    if (!request.ok()) return respond(Error(request.status()));
    BindConnection(*request, req);
    const size_t examples = set->examples.size();
    if (classify) {
      auto pick = PickClassifyOutput(handle->signature);
      if (!pick.ok()) return respond(Error(pick.status()));
      request->requested_outputs = {pick->name};
      core_->Infer(handle, std::move(*request),
                   [pick = *pick, examples, respond](StatusOr<InferResponse> result) {
                     if (!result.ok()) return respond(Error(result.status()));
                     auto classes = ClassificationsFrom(*result, pick, examples);
                     respond(classes.ok() ? Json(EncodeClassifyResponse(*classes))
                                          : Error(classes.status()));
                   });
      return;
    }
    auto pick = PickRegressOutput(handle->signature);
    if (!pick.ok()) return respond(Error(pick.status()));
    request->requested_outputs = {*pick};
    core_->Infer(handle, std::move(*request), [examples, respond](StatusOr<InferResponse> result) {
      if (!result.ok()) return respond(Error(result.status()));
      auto values = RegressionsFrom(*result, examples);
      respond(values.ok() ? Json(EncodeRegressResponse(*values)) : Error(values.status()));
    });
  }

  ServerCore* core_;
};

}  // namespace

unsigned TfHttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kCancelled:
      return 499;
    case StatusCode::kUnsupported:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

void AddTfServingHttpRoutes(ServerCore* core, http::Router& router) {
  auto api = std::make_shared<TfServingHttp>(core);
  auto bind = [api](void (TfServingHttp::*method)(HttpRequest&, Responder)) {
    return [api, method](HttpRequest& req, Responder respond) {
      ((*api).*method)(req, std::move(respond));
    };
  };
  // KServe v1's server liveness.
  using pipeline::RouteKind;
  const http::RouteInfo health{RouteKind::kHealth, &kErrors};
  const http::RouteInfo read{RouteKind::kRead, &kErrors, &PipelineTarget};
  const http::RouteInfo infer{RouteKind::kInfer, &kErrors, &PipelineTarget};
  router.Add(Method::kGet, "/", health,
             [](HttpRequest&, Responder respond) { respond(Json(R"({"status":"alive"})")); });
  router.Add(Method::kGet, "/v1/models", read, bind(&TfServingHttp::ListModels));
  for (const char* prefix : {"/v1/models/{model}", "/v1/models/{model}/versions/{version}",
                             "/v1/models/{model}/labels/{label}"}) {
    const std::string p(prefix);
    router.Add(Method::kGet, p, read, bind(&TfServingHttp::GetStatus));
    router.Add(Method::kGet, p + "/metadata", read, bind(&TfServingHttp::GetMetadata));
  }
  // ":verb" ends the last segment, which the router captures whole.
  router.Add(Method::kPost, "/v1/models/{model_verb}", infer, bind(&TfServingHttp::Post));
  router.Add(Method::kPost, "/v1/models/{model}/versions/{version_verb}", infer,
             bind(&TfServingHttp::Post));
  router.Add(Method::kPost, "/v1/models/{model}/labels/{label_verb}", infer,
             bind(&TfServingHttp::Post));
}

}  // namespace inferd::tfserving
