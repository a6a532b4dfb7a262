#include "frontends/openapi/openapi_http.h"

#include <array>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <utility>

#include "frontends/openapi/openapi_document.h"

namespace inferd::openapi {
namespace {

constexpr std::string_view kDocsPage = R"(<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>inferd API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", docs, dom_id: "#swagger-ui", deepLinking: true});
  </script>
</body>
</html>
)";

// Only these files are served: the request names one, never a path.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kAssets = {{
    {"swagger-ui.css", "text/css"},
    {"swagger-ui-bundle.js", "application/javascript"},
    {"favicon-32x32.png", "image/png"},
    {"LICENSE", "text/plain"},
}};

}  // namespace

std::filesystem::path DefaultAssetsDir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path() / "share" / "inferd" / "swagger-ui";
}

void AddOpenApiRoutes(http::Router& router, std::filesystem::path assets_dir) {
  static const http::ProtocolErrors kErrors{
      "openapi-http", &http::StatusJsonError,
      [](std::string_view) { return NotFound("no such document"); }};
  const http::RouteInfo docs{pipeline::RouteKind::kDocs, &kErrors};
  router.Add(http::Method::kGet, "/openapi.json", docs,
             [](http::HttpRequest&, http::Responder respond) {
               http::HttpResponse response;
               response.body = std::string(Document());
               respond(std::move(response));
             });
  // TorchServe describes its API on `OPTIONS /`; inferd answers with its own
  // OpenAPI document, which covers TorchServe's routes among the others.
  router.Add(http::Method::kOptions, "/", docs, [](http::HttpRequest&, http::Responder respond) {
    http::HttpResponse response;
    response.body = std::string(Document());
    respond(std::move(response));
  });
  router.Add(http::Method::kGet, "/docs", docs, [](http::HttpRequest&, http::Responder respond) {
    respond(http::HttpResponse{200, "text/html; charset=utf-8", std::string(kDocsPage), {}});
  });
  // Assets are read once, at the first request for each, and kept.
  auto cache = std::make_shared<std::array<std::shared_ptr<const std::string>, kAssets.size()>>();
  auto mu = std::make_shared<std::mutex>();
  router.Add(http::Method::kGet, "/docs/{file}", docs,
             [assets_dir, cache, mu](http::HttpRequest& req, http::Responder respond) {
               const std::string_view file = req.Param("file");
               for (size_t i = 0; i < kAssets.size(); ++i) {
                 if (kAssets[i].first != file) continue;
                 std::shared_ptr<const std::string> body;
                 {
                   std::lock_guard lock(*mu);
                   if (!(*cache)[i]) {
                     std::ifstream in(assets_dir / std::string(file), std::ios::binary);
                     if (!in) break;
                     std::ostringstream text;
                     text << in.rdbuf();
                     (*cache)[i] = std::make_shared<const std::string>(text.str());
                   }
                   body = (*cache)[i];
                 }
                 return respond(http::HttpResponse{200, kAssets[i].second, *body, {}});
               }
               respond(http::JsonError(404, "no documentation asset '" + std::string(file) +
                                                "' (Swagger UI assets are installed by the build "
                                                "into " +
                                                assets_dir.string() + ")"));
             });
}

}  // namespace inferd::openapi
