#include "frontends/routes/route_json.h"

#include <cmath>

namespace inferd::routes {
namespace {

using http::JsonWriter;
using simdjson::dom::element;
using simdjson::dom::element_type;

void String(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Field(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  String(w, value);
}

void Field(JsonWriter& w, const char* key, double value) {
  w.Key(key);
  w.Double(std::isfinite(value) ? value : 0.0);
}

void Field(JsonWriter& w, const char* key, uint64_t value) {
  w.Key(key);
  w.Uint64(value);
}

void Field(JsonWriter& w, const char* key, const std::optional<double>& value) {
  w.Key(key);
  if (value) {
    w.Double(*value);
  } else {
    w.Null();
  }
}

StatusOr<std::string> StringField(element value, std::string_view field) {
  if (value.type() != element_type::STRING) {
    return InvalidArgument("'" + std::string(field) + "' must be a string");
  }
  return std::string(value.get_string().value());
}

StatusOr<double> NumberField(element value, std::string_view field) {
  switch (value.type()) {
    case element_type::INT64:
      return static_cast<double>(value.get_int64().value());
    case element_type::UINT64:
      return static_cast<double>(value.get_uint64().value());
    case element_type::DOUBLE:
      return value.get_double().value();
    default:
      return InvalidArgument("'" + std::string(field) + "' must be a number");
  }
}

StatusOr<uint64_t> CountField(element value, std::string_view field, uint64_t max) {
  if (value.type() == element_type::INT64 && value.get_int64().value() >= 0 &&
      static_cast<uint64_t>(value.get_int64().value()) <= max) {
    return static_cast<uint64_t>(value.get_int64().value());
  }
  return InvalidArgument("'" + std::string(field) + "' must be an integer from 0 to " +
                         std::to_string(max));
}

// A share 0..1 in basis points.
StatusOr<uint32_t> ShareField(element value, std::string_view field) {
  INFERD_ASSIGN_OR_RETURN(double share, NumberField(value, field));
  if (!(share >= 0 && share <= 1)) {
    return InvalidArgument("'" + std::string(field) + "' must be a share from 0 to 1");
  }
  return static_cast<uint32_t>(std::lround(share * 10000));
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
      INFERD_ASSIGN_OR_RETURN(uint64_t weight, CountField(value, "weight", kMaxVariantWeight));
      variant.weight = static_cast<uint32_t>(weight);
      weighted = true;
    } else {
      return InvalidArgument("unknown variant field '" + std::string(key) +
                             "' (known: name, model, version, weight)");
    }
  }
  if (!weighted) return InvalidArgument("variant '" + variant.name + "' has no 'weight'");
  return variant;
}

StatusOr<RouteShadow> ParseShadow(element doc) {
  RouteShadow shadow;
  if (doc.type() == element_type::NULL_VALUE) return shadow;
  if (doc.type() != element_type::OBJECT) return InvalidArgument("'shadow' is a JSON object");
  shadow.sample_bp = 10000;
  for (auto [key, value] : doc.get_object()) {
    if (key == "variant") {
      INFERD_ASSIGN_OR_RETURN(shadow.variant, StringField(value, "variant"));
    } else if (key == "sample") {
      INFERD_ASSIGN_OR_RETURN(shadow.sample_bp, ShareField(value, "sample"));
    } else if (key == "timeout_ms") {
      INFERD_ASSIGN_OR_RETURN(uint64_t ms, CountField(value, "timeout_ms", 600'000));
      shadow.timeout_ms = static_cast<uint32_t>(ms);
    } else {
      return InvalidArgument("unknown shadow field '" + std::string(key) +
                             "' (known: variant, sample, timeout_ms)");
    }
  }
  if (shadow.variant.empty()) return InvalidArgument("a shadow names its 'variant'");
  return shadow;
}

StatusOr<RolloutGuards> ParseGuards(element doc) {
  if (doc.type() != element_type::OBJECT) return InvalidArgument("'guards' is a JSON object");
  RolloutGuards g;
  for (auto [key, value] : doc.get_object()) {
    std::optional<double>* target = key == "max_error_rate"            ? &g.max_error_rate
                                    : key == "max_error_rate_increase" ? &g.max_error_rate_increase
                                    : key == "max_p99_ms"              ? &g.max_p99_ms
                                    : key == "max_p99_ratio"           ? &g.max_p99_ratio
                                    : key == "max_shadow_disagreement" ? &g.max_shadow_disagreement
                                                                       : nullptr;
    if (target != nullptr) {
      if (value.type() == element_type::NULL_VALUE) continue;
      INFERD_ASSIGN_OR_RETURN(double v, NumberField(value, key));
      *target = v;
    } else if (key == "min_requests") {
      INFERD_ASSIGN_OR_RETURN(g.min_requests, CountField(value, key, 100'000'000));
    } else {
      return InvalidArgument("unknown guard '" + std::string(key) +
                             "' (known: max_error_rate, max_error_rate_increase, max_p99_ms, "
                             "max_p99_ratio, max_shadow_disagreement, min_requests)");
    }
  }
  return g;
}

}  // namespace

StatusOr<Route> ParseRoute(std::string name, element doc) {
  if (doc.type() != element_type::OBJECT) return InvalidArgument("a route is a JSON object");
  Route route;
  route.name = std::move(name);
  for (auto [key, value] : doc.get_object()) {
    if (key == "name") {
      // What GET answers may be sent back as it is.
      INFERD_ASSIGN_OR_RETURN(std::string named, StringField(value, "name"));
      if (named != route.name) {
        return InvalidArgument("the body names route '" + named + "', the path '" + route.name +
                               "'");
      }
    } else if (key == "key") {
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
    } else if (key == "shadow") {
      INFERD_ASSIGN_OR_RETURN(route.shadow, ParseShadow(value));
    } else if (key == "traffic" || key == "rollout") {
      continue;  // the read-only parts of GET's answer
    } else {
      return InvalidArgument("unknown field '" + std::string(key) +
                             "' (known: name, key, salt, variants, shadow)");
    }
  }
  return route;
}

StatusOr<RolloutSpec> ParseRolloutSpec(std::string route, element doc) {
  if (doc.type() != element_type::OBJECT) return InvalidArgument("a rollout is a JSON object");
  RolloutSpec spec;
  spec.route = std::move(route);
  for (auto [key, value] : doc.get_object()) {
    if (key == "stable") {
      INFERD_ASSIGN_OR_RETURN(spec.stable, StringField(value, key));
    } else if (key == "candidate") {
      INFERD_ASSIGN_OR_RETURN(spec.candidate, StringField(value, key));
    } else if (key == "steps") {
      if (value.type() != element_type::ARRAY) return InvalidArgument("'steps' must be a list");
      spec.steps.clear();
      for (element item : value.get_array()) {
        INFERD_ASSIGN_OR_RETURN(uint64_t step, CountField(item, "steps", 100));
        spec.steps.push_back(static_cast<uint32_t>(step));
      }
    } else if (key == "interval_secs") {
      INFERD_ASSIGN_OR_RETURN(uint64_t s, CountField(value, key, 86400));
      spec.interval_s = static_cast<uint32_t>(s);
    } else if (key == "shadow_intervals") {
      INFERD_ASSIGN_OR_RETURN(uint64_t n, CountField(value, key, 1000));
      spec.shadow_intervals = static_cast<uint32_t>(n);
    } else if (key == "shadow_sample") {
      INFERD_ASSIGN_OR_RETURN(spec.shadow_sample_bp, ShareField(value, key));
    } else if (key == "failure_limit") {
      INFERD_ASSIGN_OR_RETURN(uint64_t n, CountField(value, key, 1000));
      spec.failure_limit = static_cast<uint32_t>(n);
    } else if (key == "dry_run") {
      if (value.type() != element_type::BOOL) return InvalidArgument("'dry_run' must be a boolean");
      spec.dry_run = value.get_bool().value();
    } else if (key == "promote_alias") {
      INFERD_ASSIGN_OR_RETURN(spec.promote_alias, StringField(value, key));
    } else if (key == "promote_stage") {
      INFERD_ASSIGN_OR_RETURN(spec.promote_stage, StringField(value, key));
    } else if (key == "guards") {
      INFERD_ASSIGN_OR_RETURN(spec.guards, ParseGuards(value));
    } else {
      return InvalidArgument("unknown rollout field '" + std::string(key) +
                             "' (known: stable, candidate, steps, interval_secs, "
                             "shadow_intervals, shadow_sample, failure_limit, dry_run, "
                             "promote_alias, promote_stage, guards)");
    }
  }
  if (spec.stable.empty() || spec.candidate.empty()) {
    return InvalidArgument("a rollout names its 'stable' and 'candidate' variants");
  }
  return spec;
}

void WriteRoute(JsonWriter& w, const Route& route) {
  w.StartObject();
  WriteRouteFields(w, route);
  w.EndObject();
}

void WriteRouteFields(JsonWriter& w, const Route& route) {
  Field(w, "name", route.name);
  Field(w, "key", route.key.ToString());
  Field(w, "salt", route.EffectiveSalt());
  w.Key("variants");
  w.StartArray();
  for (const RouteVariant& v : route.variants) {
    w.StartObject();
    Field(w, "name", v.name);
    Field(w, "model", v.model);
    Field(w, "version", v.version);
    w.Key("weight");
    w.Uint(v.weight);
    w.EndObject();
  }
  w.EndArray();
  w.Key("shadow");
  if (route.shadow.enabled()) {
    w.StartObject();
    Field(w, "variant", route.shadow.variant);
    Field(w, "sample", route.shadow.sample_bp / 10000.0);
    Field(w, "timeout_ms",
          uint64_t{route.shadow.timeout_ms == 0 ? 1000u : route.shadow.timeout_ms});
    w.EndObject();
  } else {
    w.Null();
  }
}

void WriteRollout(JsonWriter& w, const Rollout& r) {
  const RolloutSpec& s = r.spec;
  w.StartObject();
  Field(w, "route", s.route);
  Field(w, "state", RolloutStateName(r.state));
  Field(w, "phase", r.shadow_phase() ? "shadow" : "canary");
  Field(w, "stable", s.stable);
  Field(w, "candidate", s.candidate);
  Field(w, "candidate_percent", uint64_t{r.candidate_percent()});
  w.Key("step");
  w.Int(r.step);
  w.Key("steps");
  w.StartArray();
  for (uint32_t step : s.steps) w.Uint(step);
  w.EndArray();
  Field(w, "interval_secs", uint64_t{s.interval_s});
  Field(w, "shadow_intervals", uint64_t{s.shadow_intervals});
  Field(w, "shadow_intervals_passed", uint64_t{r.shadow_passed});
  Field(w, "shadow_sample", s.shadow_sample_bp / 10000.0);
  Field(w, "failure_limit", uint64_t{s.failure_limit});
  Field(w, "failures", uint64_t{r.failures});
  w.Key("dry_run");
  w.Bool(s.dry_run);
  Field(w, "promote_alias", s.promote_alias);
  Field(w, "promote_stage", s.promote_stage);
  Field(w, "reason", r.reason);
  w.Key("guards");
  w.StartObject();
  Field(w, "max_error_rate", s.guards.max_error_rate);
  Field(w, "max_error_rate_increase", s.guards.max_error_rate_increase);
  Field(w, "max_p99_ms", s.guards.max_p99_ms);
  Field(w, "max_p99_ratio", s.guards.max_p99_ratio);
  Field(w, "max_shadow_disagreement", s.guards.max_shadow_disagreement);
  Field(w, "min_requests", s.guards.min_requests);
  w.EndObject();
  w.Key("last_judgement");
  if (r.last.verdict == Judgement::Verdict::kNone) {
    w.Null();
  } else {
    const Judgement& j = r.last;
    w.StartObject();
    Field(w, "verdict", VerdictName(j.verdict));
    Field(w, "detail", j.detail);
    w.Key("at_ms");
    w.Int64(j.at_ms);
    Field(w, "candidate_requests", j.candidate_requests);
    Field(w, "stable_requests", j.stable_requests);
    Field(w, "candidate_error_rate", j.candidate_error_rate);
    Field(w, "stable_error_rate", j.stable_error_rate);
    Field(w, "candidate_p99_ms", j.candidate_p99_ms);
    Field(w, "stable_p99_ms", j.stable_p99_ms);
    Field(w, "shadow_compared", j.shadow_compared);
    Field(w, "shadow_disagreement", j.shadow_disagreement);
    w.EndObject();
  }
  w.Key("started_ms");
  w.Int64(r.started_ms);
  w.Key("updated_ms");
  w.Int64(r.updated_ms);
  w.EndObject();
}

void WriteTraffic(JsonWriter& w, const Route& route, const RouteStats* stats,
                  const ShadowMirror* shadows) {
  w.StartObject();
  w.Key("variants");
  w.StartArray();
  for (const RouteVariant& v : route.variants) {
    const VariantTotals t = stats ? stats->Totals(route.name, v.name) : VariantTotals{};
    w.StartObject();
    Field(w, "variant", v.name);
    Field(w, "requests", t.requests);
    Field(w, "failures", t.failures);
    auto ms = [](std::optional<double> s) -> std::optional<double> {
      return s ? std::optional<double>(*s * 1000) : std::nullopt;
    };
    Field(w, "p50_ms", ms(t.Quantile(0.5)));
    Field(w, "p99_ms", ms(t.Quantile(0.99)));
    w.EndObject();
  }
  w.EndArray();
  w.Key("shadow");
  // The shadow the route has now (a rollout's shadow phase included).
  const ShadowTotals s = shadows && route.shadow.enabled()
                             ? shadows->Totals(route.name, route.shadow.variant)
                             : ShadowTotals{};
  if (!route.shadow.enabled()) {
    w.Null();
  } else {
    w.StartObject();
    Field(w, "variant", route.shadow.variant);
    Field(w, "mirrored", s.mirrored);
    Field(w, "dropped", s.dropped);
    Field(w, "errors", s.errors);
    Field(w, "compared", s.compared);
    Field(w, "rows", s.rows);
    Field(w, "agreement",
          s.rows == 0 ? std::nullopt
                      : std::optional<double>(static_cast<double>(s.rows_agreeing) / s.rows));
    Field(w, "mean_latency_ms",
          s.latency_count == 0 ? std::nullopt
                               : std::optional<double>(s.latency_sum_s * 1000 / s.latency_count));
    Field(w, "last_error", s.last_error);
    w.Key("outputs");
    w.StartObject();
    for (const auto& [name, out] : s.outputs) {
      w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
      w.StartObject();
      Field(w, "mean_abs_diff", out.values == 0 ? 0.0 : out.abs_diff_sum / out.values);
      Field(w, "max_abs_diff", out.abs_diff_max);
      Field(w, "mismatches", out.mismatches);
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace inferd::routes
