#include "frontends/routes/routes_http.h"

#include "core/lifecycle/model_manager.h"
#include "core/model_visibility.h"
#include "core/routing/route_check.h"
#include "frontends/http/json_buffer.h"
#include "frontends/routes/route_json.h"

namespace inferd::routes {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::JsonWriter;
using http::Method;
using http::Responder;

constexpr auto Error = &http::StatusJsonError;
constexpr auto Json = &http::JsonAnswer;

const http::ProtocolErrors kErrors{"routes-http", Error, &ModelManager::UnknownModel};

// A caller limited to some models sees a route only when it may see its
// name and every variant's model.
bool Visible(const Route& route) {
  if (!ModelVisibleNow(route.name)) return false;
  for (const RouteVariant& v : route.variants) {
    if (!ModelVisibleNow(v.model)) return false;
  }
  return true;
}

Status NoSuchRoute(std::string_view name) {
  return NotFound("no route named '" + std::string(name) + "'");
}

// The route with its traffic and rollout, as GET answers it.
void WriteRouteStatus(JsonWriter& w, const RouteServices& s, const Route& route) {
  w.StartObject();
  WriteRouteFields(w, route);
  w.Key("traffic");
  WriteTraffic(w, route, s.stats, s.shadows);
  w.Key("rollout");
  if (auto rollout = s.rollouts ? s.rollouts->Get(route.name) : std::nullopt) {
    WriteRollout(w, *rollout);
  } else {
    w.Null();
  }
  w.EndObject();
}

HttpResponse RolloutAnswer(const StatusOr<Rollout>& rollout) {
  if (!rollout.ok()) return Error(rollout.status());
  return Json(200, [&](JsonWriter& w) { WriteRollout(w, *rollout); });
}

}  // namespace

void AddRouteRoutes(ServerCore* core, const RouteServices* routes, http::Router& router) {
  http::RouteInfo admin{pipeline::RouteKind::kAdmin, &kErrors,
                        [](const HttpRequest& req, std::string& model, std::string&) {
                          model = std::string(req.Param("route"));
                        }};
  http::RouteInfo list = admin;
  list.target = [](const HttpRequest&, std::string&, std::string&) {};
  list.server_wide = true;  // every route at once
  auto off = [routes](Responder& respond) {
    if (routes != nullptr) return false;
    respond(http::JsonError(404, "routes are off"));
    return true;
  };
  // The route, when it exists and the caller may see it.
  auto visible = [routes](std::string_view name) -> std::shared_ptr<const Route> {
    auto route = routes->control->table().Find(name);
    return route && Visible(*route) ? route : nullptr;
  };

  router.Add(Method::kGet, "/v1/routes", list, [routes, off](HttpRequest&, Responder respond) {
    if (off(respond)) return;
    const auto all = routes->control->table().List();
    respond(Json(200, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("routes");
      w.StartArray();
      for (const Route& route : all) {
        if (Visible(route)) WriteRouteStatus(w, *routes, route);
      }
      w.EndArray();
      w.EndObject();
    }));
  });
  router.Add(Method::kGet, "/v1/routes/{route}", admin,
             [routes, off, visible](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               auto route = visible(req.Param("route"));
               if (!route) return respond(Error(NoSuchRoute(req.Param("route"))));
               respond(Json(200, [&](JsonWriter& w) { WriteRouteStatus(w, *routes, *route); }));
             });
  router.Add(Method::kPut, "/v1/routes/{route}", admin,
             [core, routes, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               auto doc = http::ParseJson(*req.body);
               if (!doc.ok()) return respond(Error(doc.status()));
               auto route = ParseRoute(std::string(req.Param("route")), *doc);
               if (!route.ok()) return respond(Error(route.status()));
               // Checked and set on the admin thread, in order with loads
               // and unloads, so a variant cannot go away in between.
               core->RunRegistryChange(
                   [core, routes, route = std::move(route).value(), respond](Status ok) mutable {
                     if (!ok.ok()) return respond(Error(ok));
                     if (routes->rollouts && routes->rollouts->Active(route.name)) {
                       return respond(Error(FailedPrecondition(
                           "route '" + route.name +
                           "' has a rollout in progress, which sets its weights; abort it "
                           "first")));
                     }
                     Status can_serve = CheckRouteCanServe(*core, routes->control->table(), route);
                     if (!can_serve.ok()) return respond(Error(can_serve));
                     Status set = routes->control->Put(route);
                     if (!set.ok()) return respond(Error(set));
                     respond(Json(200, [&](JsonWriter& w) { WriteRoute(w, route); }));
                   });
             });
  router.Add(Method::kDelete, "/v1/routes/{route}", admin,
             [core, routes, off, visible](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               // In order with the changes queued before it (a PUT).
               core->RunRegistryChange(
                   [routes, visible, name = std::string(req.Param("route")), respond](Status ok) {
                     if (!ok.ok()) return respond(Error(ok));
                     if (!visible(name)) return respond(Error(NoSuchRoute(name)));
                     if (routes->rollouts && routes->rollouts->Active(name)) {
                       return respond(Error(FailedPrecondition(
                           "route '" + name + "' has a rollout in progress; abort it first")));
                     }
                     Status removed = routes->control->Remove(name);
                     if (!removed.ok()) return respond(Error(removed));
                     if (routes->rollouts) routes->rollouts->Forget(name);
                     HttpResponse response;
                     response.status = 200;
                     response.body = "{}";
                     respond(std::move(response));
                   });
             });

  // Rollouts.
  router.Add(Method::kGet, "/v1/routes/{route}/rollout", admin,
             [routes, off, visible](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               const std::string name(req.Param("route"));
               auto rollout = visible(name) ? routes->rollouts->Get(name) : std::nullopt;
               if (!rollout) {
                 return respond(Error(NotFound("route '" + name + "' has no rollout")));
               }
               respond(RolloutAnswer(*rollout));
             });
  router.Add(Method::kPut, "/v1/routes/{route}/rollout", admin,
             [core, routes, off, visible](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               auto doc = http::ParseJson(*req.body);
               if (!doc.ok()) return respond(Error(doc.status()));
               auto spec = ParseRolloutSpec(std::string(req.Param("route")), *doc);
               if (!spec.ok()) return respond(Error(spec.status()));
               core->RunRegistryChange(
                   [core, routes, visible, spec = std::move(spec).value(), respond](Status ok) {
                     if (!ok.ok()) return respond(Error(ok));
                     auto route = visible(spec.route);
                     if (!route) return respond(Error(NoSuchRoute(spec.route)));
                     // Every variant ready before the candidate takes traffic.
                     Status can_serve = CheckRouteCanServe(*core, routes->control->table(), *route);
                     if (!can_serve.ok()) return respond(Error(can_serve));
                     respond(RolloutAnswer(routes->rollouts->Begin(spec)));
                   });
             });
  for (const char* action : {"pause", "resume", "abort"}) {
    const std::string path = std::string("/v1/routes/{route}/rollout/") + action;
    // Not on the admin thread: an abort must not wait behind a model load.
    router.Add(
        Method::kPost, path, admin,
        [routes, off, visible, action = std::string(action)](HttpRequest& req, Responder respond) {
          if (off(respond)) return;
          const std::string name(req.Param("route"));
          if (!visible(name)) return respond(Error(NoSuchRoute(name)));
          RolloutController& rollouts = *routes->rollouts;
          respond(RolloutAnswer(action == "pause"    ? rollouts.Pause(name)
                                : action == "resume" ? rollouts.Resume(name)
                                                     : rollouts.Abort(name)));
        });
  }
}

}  // namespace inferd::routes
