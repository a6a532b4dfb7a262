#include "frontends/http/router.h"

#include <gtest/gtest.h>

#include "observability/request_scope.h"
#include "pipeline/filters/request_id_filter.h"

namespace inferd::http {
namespace {

unsigned Call(const Router& router, Method method, const std::string& path, std::string* seen) {
  HttpRequest req;
  req.method = method;
  req.path = path;
  unsigned status = 0;
  router.Dispatch(req, [&](HttpResponse r) { status = r.status; });
  if (seen) *seen = std::string(req.Param("model")) + "/" + std::string(req.Param("version"));
  return status;
}

TEST(RouterTest, CapturesSegmentsAndAnswers404And405) {
  Router router;
  auto ok = [](HttpRequest&, Responder r) { r(HttpResponse{}); };
  static const ProtocolErrors kErrors{
      "test", [](const Status& s) { return JsonError(HttpStatusFor(s), s.message()); },
      [](std::string_view) { return NotFound("no model"); }};
  router.Add(Method::kGet, "/v2/models/{model}", {pipeline::RouteKind::kRead, &kErrors}, ok);
  router.Add(Method::kPost, "/v2/models/{model}/versions/{version}/infer",
             {pipeline::RouteKind::kInfer, &kErrors}, ok);
  std::string seen;
  EXPECT_EQ(Call(router, Method::kGet, "/v2/models/logreg", &seen), 200u);
  EXPECT_EQ(seen, "logreg/");
  EXPECT_EQ(Call(router, Method::kPost, "/v2/models/a/versions/2/infer", &seen), 200u);
  EXPECT_EQ(seen, "a/2");
  EXPECT_EQ(Call(router, Method::kGet, "/v2/models/a/versions/2/infer", nullptr), 405u);
  EXPECT_EQ(Call(router, Method::kGet, "/v2/nothing", nullptr), 404u);
  EXPECT_EQ(Call(router, Method::kGet, "/v2/models//", nullptr), 404u);
}

// Refuses a call that shows "x-deny", in the call phase.
class DenyFilter final : public pipeline::Filter {
 public:
  std::optional<pipeline::Refusal> OnCall(pipeline::RequestContext& context) override {
    if (context.headers->Get("x-deny").empty()) return std::nullopt;
    return pipeline::Refusal{Unauthenticated("no entry"), {{"www-authenticate", "Bearer"}}};
  }
};

const ProtocolErrors kShaped{
    "test", [](const Status& s) { return JsonError(HttpStatusFor(s), "shaped: " + s.message()); },
    [](std::string_view) { return NotFound("no model"); }};

Router GuardedRouter(int* handled, int* targeted) {
  Router router;
  RouteInfo info{pipeline::RouteKind::kInfer, &kShaped};
  info.target = [targeted](const HttpRequest&, std::string& model, std::string&) {
    ++*targeted;
    model = "m";
  };
  router.Add(Method::kPost, "/infer", info, [handled](HttpRequest&, Responder respond) {
    ++*handled;
    // What the core does with an id the body names.
    CurrentRequest()->AdoptNamedId("named-by-body");
    respond(HttpResponse{});
  });
  auto chain = std::make_shared<pipeline::Pipeline>();
  chain->Add(std::make_unique<pipeline::RequestIdFilter>());
  chain->Add(std::make_unique<DenyFilter>());
  router.SetPipeline(chain);
  return router;
}

std::string HeaderOf(const HttpResponse& response, std::string_view name) {
  for (const auto& [n, v] : response.headers) {
    if (n == name) return v;
  }
  return "";
}

TEST(RouterTest, TheCallPhaseRunsOnTheHeadersAloneAndARefusalSkipsTheRest) {
  int handled = 0, targeted = 0;
  Router router = GuardedRouter(&handled, &targeted);
  HttpRequest req;
  req.method = Method::kPost;
  req.path = "/infer";
  req.AddHeader("x-deny", "1");
  auto call = router.Begin(req);  // no body yet
  ASSERT_TRUE(call->refused());
  HttpResponse answer;
  *req.body = "{not even json";
  router.Finish(call, req, [&](HttpResponse r) { answer = std::move(r); });
  EXPECT_EQ(answer.status, 401u);
  EXPECT_NE(answer.body.find("shaped: no entry"), std::string::npos);
  EXPECT_EQ(HeaderOf(answer, "www-authenticate"), "Bearer");
  EXPECT_EQ(HeaderOf(answer, "x-request-id").size(), 36u);
  EXPECT_EQ(targeted, 0);  // the body is not even looked at for the model
  EXPECT_EQ(handled, 0);
}

TEST(RouterTest, AnIdTheBodyNamesReplacesAMadeOneButNotTheClients) {
  int handled = 0, targeted = 0;
  Router router = GuardedRouter(&handled, &targeted);
  HttpRequest made;
  made.method = Method::kPost;
  made.path = "/infer";
  HttpResponse answer;
  router.Dispatch(made, [&](HttpResponse r) { answer = std::move(r); });
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(HeaderOf(answer, "x-request-id"), "named-by-body");

  HttpRequest chosen;
  chosen.method = Method::kPost;
  chosen.path = "/infer";
  chosen.AddHeader("x-request-id", "client-1");
  router.Dispatch(chosen, [&](HttpResponse r) { answer = std::move(r); });
  EXPECT_EQ(HeaderOf(answer, "x-request-id"), "client-1");
  EXPECT_EQ(CurrentRequest(), nullptr);  // nothing left installed on this thread
}

}  // namespace
}  // namespace inferd::http
