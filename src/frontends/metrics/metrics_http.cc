#include "frontends/metrics/metrics_http.h"

namespace inferd::metrics {

void AddMetricsRoutes(ServerCore* core, http::Router& router) {
  static const http::ProtocolErrors kErrors{"metrics-http", &http::StatusJsonError,
                                            &ModelManager::UnknownModel};
  router.Add(http::Method::kGet, "/metrics", {pipeline::RouteKind::kMetrics, &kErrors},
             [core](http::HttpRequest&, http::Responder respond) {
               http::HttpResponse response;
               response.content_type = "text/plain; version=0.0.4; charset=utf-8";
               response.body = core->metrics().RenderPrometheus();
               respond(std::move(response));
             });
}

}  // namespace inferd::metrics
