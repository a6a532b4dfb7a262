#include "main/routes_command.h"

#include <rapidjson/writer.h>
#include <simdjson.h>

#include <charconv>
#include <iostream>
#include <sstream>

#include "frontends/http/json_buffer.h"
#include "main/admin_client.h"
#include "main/file_text.h"

namespace inferd {
namespace {

using Writer = rapidjson::Writer<http::JsonBuffer>;

int Fail(const std::string& message) {
  std::cerr << "inferd routes: " << message << "\n";
  return 1;
}

void String(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// "control=logreg@1:90" (the version may be left out).
Status WriteVariant(Writer& w, std::string_view spec) {
  const size_t eq = spec.find('=');
  const size_t colon = spec.rfind(':');
  if (eq == std::string_view::npos || colon == std::string_view::npos || colon < eq) {
    return InvalidArgument("a variant is name=model[@version]:weight, not '" + std::string(spec) +
                           "'");
  }
  std::string_view model = spec.substr(eq + 1, colon - eq - 1);
  std::string_view version;
  if (const size_t at = model.find('@'); at != std::string_view::npos) {
    version = model.substr(at + 1);
    model = model.substr(0, at);
  }
  uint32_t weight = 0;
  const std::string_view weight_text = spec.substr(colon + 1);
  auto [end, ec] =
      std::from_chars(weight_text.data(), weight_text.data() + weight_text.size(), weight);
  if (ec != std::errc() || end != weight_text.data() + weight_text.size()) {
    return InvalidArgument("a variant's weight is a whole number, not '" +
                           std::string(weight_text) + "'");
  }
  w.StartObject();
  w.Key("name");
  String(w, spec.substr(0, eq));
  w.Key("model");
  String(w, model);
  if (!version.empty()) {
    w.Key("version");
    String(w, version);
  }
  w.Key("weight");
  w.Uint(weight);
  w.EndObject();
  return Status::Ok();
}

StatusOr<std::string> RouteBody(const RoutesOptions& o) {
  if (!o.file.empty()) return ReadFileText(o.file);
  if (o.variants.empty()) return InvalidArgument("give --variant (at least one) or --file");
  http::JsonBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  if (!o.key.empty()) {
    w.Key("key");
    String(w, o.key);
  }
  if (!o.salt.empty()) {
    w.Key("salt");
    String(w, o.salt);
  }
  w.Key("variants");
  w.StartArray();
  for (const std::string& v : o.variants) INFERD_RETURN_IF_ERROR(WriteVariant(w, v));
  w.EndArray();
  if (!o.shadow.empty()) {
    const size_t colon = o.shadow.find(':');
    w.Key("shadow");
    w.StartObject();
    w.Key("variant");
    String(w, o.shadow.substr(0, colon));
    if (colon != std::string::npos) {
      char* end = nullptr;
      const std::string sample = o.shadow.substr(colon + 1);
      const double share = std::strtod(sample.c_str(), &end);
      if (end != sample.c_str() + sample.size()) {
        return InvalidArgument("--shadow is variant[:sample], the sample a share from 0 to 1");
      }
      w.Key("sample");
      w.Double(share);
    }
    w.EndObject();
  }
  w.EndObject();
  return buffer.Release();
}

StatusOr<std::string> RolloutBody(const RoutesOptions& o) {
  if (!o.file.empty()) return ReadFileText(o.file);
  if (o.stable.empty() || o.candidate.empty()) {
    return InvalidArgument("give --stable and --candidate (or --file)");
  }
  http::JsonBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("stable");
  String(w, o.stable);
  w.Key("candidate");
  String(w, o.candidate);
  if (!o.steps.empty()) {
    w.Key("steps");
    w.StartArray();
    for (uint32_t s : o.steps) w.Uint(s);
    w.EndArray();
  }
  w.Key("interval_secs");
  w.Uint(o.interval_secs);
  w.Key("shadow_intervals");
  w.Uint(o.shadow_intervals);
  w.Key("shadow_sample");
  w.Double(o.shadow_sample);
  w.Key("failure_limit");
  w.Uint(o.failure_limit);
  w.Key("dry_run");
  w.Bool(o.dry_run);
  if (!o.promote_alias.empty()) {
    w.Key("promote_alias");
    String(w, o.promote_alias);
  }
  if (!o.promote_stage.empty()) {
    w.Key("promote_stage");
    String(w, o.promote_stage);
  }
  w.Key("guards");
  w.StartObject();
  w.Key("min_requests");
  w.Uint64(o.min_requests);
  for (const auto& [key, value] :
       {std::pair{"max_error_rate", o.max_error_rate},
        std::pair{"max_error_rate_increase", o.max_error_rate_increase},
        std::pair{"max_p99_ms", o.max_p99_ms}, std::pair{"max_p99_ratio", o.max_p99_ratio},
        std::pair{"max_shadow_disagreement", o.max_shadow_disagreement}}) {
    if (value < 0) continue;
    w.Key(key);
    w.Double(value);
  }
  w.EndObject();
  w.EndObject();
  return buffer.Release();
}

std::string Text(simdjson::dom::element e, const char* key) {
  std::string_view s;
  return e[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

int64_t Int(simdjson::dom::element e, const char* key) {
  int64_t v = 0;
  if (e[key].get(v) != simdjson::SUCCESS) {
    uint64_t u = 0;
    if (e[key].get(u) == simdjson::SUCCESS) v = static_cast<int64_t>(u);
  }
  return v;
}

// "progressing 25% (canary, step 3 of 5), 0 failures; last: pass - all guards passed"
std::string RolloutLine(simdjson::dom::element r) {
  std::ostringstream line;
  simdjson::dom::array steps;
  const size_t count = r["steps"].get(steps) == simdjson::SUCCESS ? steps.size() : 0;
  line << Text(r, "state") << " " << Int(r, "candidate_percent") << "% to " << Text(r, "candidate")
       << " (" << Text(r, "phase");
  if (Text(r, "phase") == "canary") line << ", step " << Int(r, "step") + 1 << " of " << count;
  line << "), " << Int(r, "failures") << " of " << Int(r, "failure_limit") << " failures";
  simdjson::dom::element last;
  if (r["last_judgement"].get(last) == simdjson::SUCCESS && last.is_object()) {
    line << "; last: " << Text(last, "verdict") << " - " << Text(last, "detail");
  }
  if (!Text(r, "reason").empty()) line << "; reason: " << Text(r, "reason");
  return line.str();
}

int List(const AdminClient& client) {
  auto body = OkBody(client.Send("GET", "/v1/routes"));
  if (!body.ok()) return Fail(body.status().message());
  simdjson::dom::parser parser;
  simdjson::dom::array routes;
  if (parser.parse(*body)["routes"].get(routes) != simdjson::SUCCESS) {
    return Fail("the server's answer has no route list");
  }
  for (simdjson::dom::element item : routes) {
    simdjson::dom::element route = item;
    std::cout << Text(route, "name") << "  key=" << Text(route, "key");
    int64_t total = 0;
    for (simdjson::dom::element v : route["variants"].get_array()) total += Int(v, "weight");
    for (simdjson::dom::element v : route["variants"].get_array()) {
      std::cout << "  " << Text(v, "name") << "=" << Text(v, "model");
      if (!Text(v, "version").empty()) std::cout << "@" << Text(v, "version");
      std::cout << " " << (total == 0 ? 0 : Int(v, "weight") * 100.0 / total) << "%";
    }
    simdjson::dom::element shadow;
    if (route["shadow"].get(shadow) == simdjson::SUCCESS && shadow.is_object()) {
      std::cout << "  shadow=" << Text(shadow, "variant");
    }
    simdjson::dom::element rollout;
    if (item["rollout"].get(rollout) == simdjson::SUCCESS && rollout.is_object()) {
      std::cout << "  rollout: " << Text(rollout, "state") << " "
                << Int(rollout, "candidate_percent") << "%";
    }
    std::cout << "\n";
  }
  return 0;
}

int PrintBody(const StatusOr<AdminReply>& reply) {
  auto body = OkBody(reply);
  if (!body.ok()) return Fail(body.status().message());
  std::cout << *body << "\n";
  return 0;
}

int PrintRollout(const StatusOr<AdminReply>& reply) {
  simdjson::dom::parser parser;
  auto doc = OkJson(reply, parser);
  if (!doc.ok()) return Fail(doc.status().message());
  std::cout << Text(*doc, "route") << ": " << RolloutLine(*doc) << "\n";
  return 0;
}

}  // namespace

CLI::App* AddRoutesCommand(CLI::App& app, RoutesOptions& o) {
  CLI::App* routes = app.add_subcommand(
      "routes", "Manage the routes (A/B tests, shadows, canary rollouts) of a running server");
  routes->require_subcommand(1);
  routes->add_option("--url", o.url, "The server's HTTP address")->capture_default_str();
  auto with_route = [&o](CLI::App* cmd) {
    cmd->add_option("route", o.route, "The route's name")->required();
    return cmd;
  };
  routes->add_subcommand("list", "Every route: its split, shadow and rollout");
  with_route(routes->add_subcommand("get", "One route as JSON, with its traffic and rollout"));
  CLI::App* set = with_route(routes->add_subcommand(
      "set", "Create or replace a route (takes effect on the next request)"));
  set->add_option("--variant", o.variants,
                  "name=model[@version]:weight, once per variant (e.g. control=clf@1:90)");
  set->add_option("--key", o.key,
                  "Where the sticky key comes from: random, identity, header:<name>, "
                  "query:<name>");
  set->add_option("--salt", o.salt, "Mixed into the key's hash (default: the route's name)");
  set->add_option("--shadow", o.shadow, "variant[:sample]: mirror a share of requests to it");
  set->add_option("--file", o.file, "The route as a JSON file instead of the flags");
  with_route(routes->add_subcommand("delete", "Remove a route"));
  CLI::App* rollout = with_route(routes->add_subcommand(
      "rollout", "Start a canary rollout from a stable to a candidate variant"));
  rollout->add_option("--stable", o.stable, "The variant traffic moves away from");
  rollout->add_option("--candidate", o.candidate, "The variant traffic moves to");
  rollout->add_option("--steps", o.steps, "The candidate's percent at each step (5,10,25,50,100)")
      ->delimiter(',');
  rollout->add_option("--interval", o.interval_secs, "Seconds between judgements")
      ->capture_default_str();
  rollout->add_option("--shadow-intervals", o.shadow_intervals,
                      "Judged intervals of shadow traffic before the first step");
  rollout->add_option("--shadow-sample", o.shadow_sample, "Share mirrored in the shadow phase");
  rollout->add_option("--failure-limit", o.failure_limit, "Failed judgements that roll back")
      ->capture_default_str();
  rollout
      ->add_option("--min-requests", o.min_requests,
                   "Fewer candidate requests in a window hold the step")
      ->capture_default_str();
  rollout->add_option("--max-error-rate", o.max_error_rate, "Candidate's share of failed requests");
  rollout->add_option("--max-error-rate-increase", o.max_error_rate_increase,
                      "Candidate's error share minus stable's");
  rollout->add_option("--max-p99-ms", o.max_p99_ms, "Candidate's p99 latency");
  rollout->add_option("--max-p99-ratio", o.max_p99_ratio, "Candidate's p99 over stable's");
  rollout->add_option("--max-shadow-disagreement", o.max_shadow_disagreement,
                      "Share of shadow rows whose label differs (shadow phase)");
  rollout->add_option("--promote-alias", o.promote_alias,
                      "Registry alias moved to the candidate's version on success");
  rollout->add_option("--promote-stage", o.promote_stage,
                      "Registry stage the candidate's version moves to on success");
  rollout->add_flag("--dry-run", o.dry_run, "Judge and report, never roll back");
  rollout->add_option("--file", o.file, "The rollout as a JSON file instead of the flags");
  with_route(routes->add_subcommand("status", "A route's rollout: state, step, last judgement"));
  with_route(routes->add_subcommand("pause", "Hold a rollout at its step"));
  with_route(routes->add_subcommand("resume", "Go on with a paused rollout"));
  with_route(routes->add_subcommand("abort", "Stop a rollout: all traffic back on stable"));
  return routes;
}

int RunRoutes(const CLI::App& routes, const RoutesOptions& o) {
  auto client = AdminClient::Connect(o.url);
  if (!client.ok()) return Fail(client.status().message());
  const std::string path = "/v1/routes/" + o.route;
  auto parsed = [&routes](const char* name) { return routes.get_subcommand(name)->parsed(); };
  if (parsed("list")) return List(*client);
  if (parsed("get")) return PrintBody(client->Send("GET", path));
  if (parsed("set")) {
    auto body = RouteBody(o);
    if (!body.ok()) return Fail(body.status().message());
    return ReportReply(client->Send("PUT", path, *body), "routes", "route " + o.route + " set");
  }
  if (parsed("delete")) {
    return ReportReply(client->Send("DELETE", path), "routes", "route " + o.route + " deleted");
  }
  if (parsed("rollout")) {
    auto body = RolloutBody(o);
    if (!body.ok()) return Fail(body.status().message());
    return PrintRollout(client->Send("PUT", path + "/rollout", *body));
  }
  if (parsed("status")) return PrintRollout(client->Send("GET", path + "/rollout"));
  for (const char* action : {"pause", "resume", "abort"}) {
    if (parsed(action)) return PrintRollout(client->Send("POST", path + "/rollout/" + action));
  }
  return 0;
}

}  // namespace inferd
