#include "frontends/http/router.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace inferd::http
