#include "frontends/routes/routes_http.h"

#include "core/lifecycle/model_manager.h"
#include "core/model_visibility.h"
#include "core/routing/route_check.h"
#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"

namespace inferd::routes {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::JsonWriter;
using http::Method;
using http::Responder;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr auto Error = &http::StatusJsonError;

const http::ProtocolErrors kErrors{"routes-http", Error, &ModelManager::UnknownModel};

void String(JsonWriter& w, const std::string& s) {
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

void WriteRoute(JsonWriter& w, const Route& route) {
  w.StartObject();
  w.Key("name");
  String(w, route.name);
  w.Key("key");
  String(w, route.key.ToString());
  w.Key("salt");
  String(w, route.EffectiveSalt());
  w.Key("variants");
  w.StartArray();
  for (const RouteVariant& v : route.variants) {
    w.StartObject();
    w.Key("name");
    String(w, v.name);
    w.Key("model");
    String(w, v.model);
    w.Key("version");
    String(w, v.version);
    w.Key("weight");
    w.Uint(v.weight);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

constexpr auto Json = &http::JsonAnswer;

StatusOr<std::string> StringField(element value, std::string_view field) {
  if (value.type() != element_type::STRING) {
    return InvalidArgument("'" + std::string(field) + "' must be a string");
  }
  return std::string(value.get_string().value());
}

StatusOr<RouteVariant> ParseVariant(element doc) {
  if (doc.type() != element_type::OBJECT) return InvalidArgument("a variant is a JSON object");
  RouteVariant variant;
  bool weighted = false;
  for (auto [key, value] : doc.get_object()) {
    if (key == "name") {
      INFERD_ASSIGN_OR_RETURN(variant.name, StringField(value, "name"));
    } else if (key == "model") {
      INFERD_ASSIGN_OR_RETURN(variant.model, StringField(value, "model"));
    } else if (key == "version") {
      if (value.type() == element_type::INT64) {
        variant.version = std::to_string(value.get_int64().value());
      } else if (value.type() == element_type::UINT64) {
        variant.version = std::to_string(value.get_uint64().value());
      } else {
        INFERD_ASSIGN_OR_RETURN(variant.version, StringField(value, "version"));
      }
    } else if (key == "weight") {
      if (value.type() != element_type::INT64 || value.get_int64().value() < 0 ||
          value.get_int64().value() > kMaxVariantWeight) {
        return InvalidArgument("'weight' must be an integer from 0 to " +
                               std::to_string(kMaxVariantWeight));
      }
      variant.weight = static_cast<uint32_t>(value.get_int64().value());
      weighted = true;
    } else {
      return InvalidArgument("unknown variant field '" + std::string(key) +
                             "' (known: name, model, version, weight)");
    }
  }
  if (!weighted) return InvalidArgument("variant '" + variant.name + "' has no 'weight'");
  return variant;
}

StatusOr<Route> ParseRoute(std::string name, std::string_view body) {
  INFERD_ASSIGN_OR_RETURN(element doc, http::ParseJson(body));
  if (doc.type() != element_type::OBJECT) return InvalidArgument("the body must be a JSON object");
  Route route;
  route.name = std::move(name);
  for (auto [key, value] : doc.get_object()) {
    if (key == "key") {
      INFERD_ASSIGN_OR_RETURN(std::string text, StringField(value, "key"));
      INFERD_ASSIGN_OR_RETURN(route.key, RouteKey::Parse(text));
    } else if (key == "salt") {
      INFERD_ASSIGN_OR_RETURN(route.salt, StringField(value, "salt"));
    } else if (key == "variants") {
      if (value.type() != element_type::ARRAY) return InvalidArgument("'variants' must be a list");
      for (element item : value.get_array()) {
        INFERD_ASSIGN_OR_RETURN(RouteVariant variant, ParseVariant(item));
        route.variants.push_back(std::move(variant));
      }
    } else {
      return InvalidArgument("unknown field '" + std::string(key) +
                             "' (known: key, salt, variants)");
    }
  }
  return route;
}

// A caller limited to some models sees a route only when it may see its
// name and every variant's model.
bool Visible(const Route& route) {
  if (!ModelVisibleNow(route.name)) return false;
  for (const RouteVariant& v : route.variants) {
    if (!ModelVisibleNow(v.model)) return false;
  }
  return true;
}

}  // namespace

void AddRouteRoutes(ServerCore* core, RouteTable* routes, http::Router& router) {
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
  router.Add(Method::kGet, "/v1/routes", list, [routes, off](HttpRequest&, Responder respond) {
    if (off(respond)) return;
    const auto all = routes->List();
    respond(Json(200, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("routes");
      w.StartArray();
      for (const Route& route : all) {
        if (Visible(route)) WriteRoute(w, route);
      }
      w.EndArray();
      w.EndObject();
    }));
  });
  router.Add(Method::kGet, "/v1/routes/{route}", admin,
             [routes, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               auto route = routes->Find(req.Param("route"));
               if (!route || !Visible(*route)) {
                 return respond(
                     Error(NotFound("no route named '" + std::string(req.Param("route")) + "'")));
               }
               respond(Json(200, [&](JsonWriter& w) { WriteRoute(w, *route); }));
             });
  router.Add(Method::kPut, "/v1/routes/{route}", admin,
             [core, routes, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               auto route = ParseRoute(std::string(req.Param("route")), *req.body);
               if (!route.ok()) return respond(Error(route.status()));
               // Checked and set on the admin thread, in order with loads
               // and unloads, so a variant cannot go away in between.
               core->RunRegistryChange(
                   [core, routes, route = std::move(route).value(), respond](Status ok) mutable {
                     if (!ok.ok()) return respond(Error(ok));
                     Status can_serve = CheckRouteCanServe(*core, *routes, route);
                     if (!can_serve.ok()) return respond(Error(can_serve));
                     Route shown = route;
                     Status set = routes->Set(std::move(route));
                     if (!set.ok()) return respond(Error(set));
                     respond(Json(200, [&](JsonWriter& w) { WriteRoute(w, shown); }));
                   });
             });
  router.Add(Method::kDelete, "/v1/routes/{route}", admin,
             [core, routes, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               // In order with the changes queued before it (a PUT).
               core->RunRegistryChange(
                   [routes, name = std::string(req.Param("route")), respond](Status ok) {
                     if (!ok.ok()) return respond(Error(ok));
                     auto route = routes->Find(name);
                     Status removed = route && !Visible(*route)
                                          ? NotFound("no route named '" + name + "'")
                                          : routes->Remove(name);
                     if (!removed.ok()) return respond(Error(removed));
                     HttpResponse response;
                     response.status = 200;
                     response.body = "{}";
                     respond(std::move(response));
                   });
             });
}

}  // namespace inferd::routes
