#include "main/route_setup.h"

#include <future>

#include "core/routing/route_check.h"
#include "frontends/routes/route_json.h"
#include "main/file_text.h"
#include "observability/log.h"

namespace inferd {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

Status InFile(const std::string& path, const Status& status) {
  return Status(status.code(), "routes file " + path + ": " + status.message());
}

}  // namespace

Status LoadRoutes(const ServeOptions& o, ServerCore& core, RouteControl& control,
                  RolloutController& rollouts) {
  auto stored = control.Load();
  if (!stored.ok()) return stored.status();
  rollouts.Restore(std::move(stored).value());
  // A stored route serves as it was set, but say so when it cannot now.
  for (const Route& route : control.table().List()) {
    if (Status can = CheckRouteCanServe(core, control.table(), route); !can.ok()) {
      LogWarn("a stored route cannot serve every request now",
              {{"route", route.name}, {"reason", can.message()}});
    }
  }
  if (o.routes_file.empty()) return Status::Ok();

  const std::string& path = o.routes_file;
  INFERD_ASSIGN_OR_RETURN(std::string text, ReadFileText(path));
  auto doc = http::ParseJson(text);
  if (!doc.ok()) return InFile(path, doc.status());
  if (doc->type() != element_type::OBJECT) {
    return InFile(path, InvalidArgument("the file is a JSON object"));
  }
  std::vector<Route> routes;
  std::vector<RolloutSpec> specs;
  for (auto [key, value] : doc->get_object()) {
    if ((key != "routes" && key != "rollouts") || value.type() != element_type::OBJECT) {
      return InFile(path, InvalidArgument("the file has 'routes' and 'rollouts', each an object "
                                          "by route name; not '" +
                                          std::string(key) + "'"));
    }
    for (auto [name, item] : value.get_object()) {
      if (key == "routes") {
        auto route = routes::ParseRoute(std::string(name), item);
        if (!route.ok()) return InFile(path, route.status());
        routes.push_back(std::move(route).value());
      } else {
        auto spec = routes::ParseRolloutSpec(std::string(name), item);
        if (!spec.ok()) return InFile(path, spec.status());
        specs.push_back(std::move(spec).value());
      }
    }
  }
  for (Route& route : routes) {
    if (control.table().Find(route.name)) {
      LogInfo("route kept as stored; the routes file only seeds new routes",
              {{"route", route.name}});
      continue;
    }
    INFERD_RETURN_IF_ERROR(InFile(path, CheckRouteCanServe(core, control.table(), route)));
    const std::string name = route.name;
    INFERD_RETURN_IF_ERROR(InFile(path, control.Put(std::move(route))));
    LogInfo("route set from the routes file", {{"route", name}});
  }
  for (RolloutSpec& spec : specs) {
    if (rollouts.Get(spec.route)) continue;  // started before: resumed or finished
    // Every variant ready before the candidate takes traffic.
    if (auto route = control.table().Find(spec.route)) {
      INFERD_RETURN_IF_ERROR(InFile(path, CheckRouteCanServe(core, control.table(), *route)));
    }
    auto begun = rollouts.Begin(std::move(spec));
    if (!begun.ok()) return InFile(path, begun.status());
  }
  return Status::Ok();
}

RolloutController::Hooks RolloutHooks(ServerCore& core, std::shared_ptr<AuditLog> audit) {
  RolloutController::Hooks hooks;
  if (audit) {
    hooks.changed = [audit](const Rollout& r, std::string_view action) {
      AuditEvent event;
      event.identity = "inferd";  // the server itself, judging the rollout
      event.action = std::string(action);
      event.target = r.spec.route;
      event.outcome = std::string(RolloutStateName(r.state));
      event.detail = std::to_string(r.candidate_percent()) + "% to " + r.spec.candidate + ": " +
                     (r.state == RolloutState::kRolledBack ? r.reason : r.last.detail);
      if (Status s = audit->Append(event); !s.ok()) {
        LogError("rollout change not audited", {{"route", r.spec.route}, {"reason", s.message()}});
      }
    };
  }
  hooks.version_of = [&core](const RouteVariant& v) -> StatusOr<int64_t> {
    INFERD_ASSIGN_OR_RETURN(ModelHandle handle, core.GetModel(v.model, v.version));
    return handle->version;
  };
  hooks.promote = [&core](const RolloutSpec& spec, const std::string& model,
                          int64_t version) -> Status {
    auto done = std::make_shared<std::promise<Status>>();
    std::future<Status> result = done->get_future();
    core.RunRegistryChange([&core, spec, model, version, done](Status ok) {
      if (!ok.ok()) return done->set_value(ok);
      if (!spec.promote_alias.empty()) {
        return done->set_value(core.registry().SetAlias(model, spec.promote_alias, version));
      }
      auto moved = core.registry().TransitionStage(model, version, spec.promote_stage, true);
      done->set_value(moved.ok() ? Status::Ok() : moved.status());
    });
    // Bounded: a promotion behind a long model load is retried next interval
    // (the queued move still happens; moving an alias twice is harmless).
    if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      return Unavailable("the registry change waits behind another admin task");
    }
    return result.get();
  };
  return hooks;
}

}  // namespace inferd
