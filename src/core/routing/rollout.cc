#include "core/routing/rollout.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

namespace inferd {
namespace {

// For people: four significant digits.
std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

// For the store: every bit back.
std::string Exact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string Percent(double share) {
  return Number(share * 100) + "%";
}

const RouteVariant* FindVariant(const Route& route, std::string_view name) {
  for (const RouteVariant& v : route.variants) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

// One line per field: backslashes and newlines escaped.
std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[i + 1] == 'n' ? '\n' : s[i + 1];
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Optional(const std::optional<double>& v) {
  return v ? Exact(*v) : "";
}

}  // namespace

std::string_view RolloutStateName(RolloutState state) {
  switch (state) {
    case RolloutState::kProgressing:
      return "progressing";
    case RolloutState::kPaused:
      return "paused";
    case RolloutState::kPromoted:
      return "promoted";
    case RolloutState::kRolledBack:
      return "rolled_back";
    case RolloutState::kAborted:
      return "aborted";
  }
  return "progressing";
}

std::optional<RolloutState> ParseRolloutState(std::string_view name) {
  for (RolloutState s : {RolloutState::kProgressing, RolloutState::kPaused, RolloutState::kPromoted,
                         RolloutState::kRolledBack, RolloutState::kAborted}) {
    if (RolloutStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view VerdictName(Judgement::Verdict verdict) {
  switch (verdict) {
    case Judgement::Verdict::kNone:
      return "none";
    case Judgement::Verdict::kPass:
      return "pass";
    case Judgement::Verdict::kFail:
      return "fail";
    case Judgement::Verdict::kHold:
      return "hold";
  }
  return "none";
}

uint32_t Rollout::candidate_percent() const {
  switch (state) {
    case RolloutState::kPromoted:
      return 100;
    case RolloutState::kRolledBack:
    case RolloutState::kAborted:
      return 0;
    default:
      if (step < 0 || spec.steps.empty()) return 0;
      return spec.steps[std::min<size_t>(static_cast<size_t>(step), spec.steps.size() - 1)];
  }
}

Status ValidateRollout(const RolloutSpec& spec, const Route& route) {
  const RouteVariant* stable = FindVariant(route, spec.stable);
  const RouteVariant* candidate = FindVariant(route, spec.candidate);
  if (stable == nullptr || candidate == nullptr) {
    return InvalidArgument("route '" + route.name + "' has no variant '" +
                           (stable == nullptr ? spec.stable : spec.candidate) + "'");
  }
  if (spec.stable == spec.candidate) {
    return InvalidArgument("a rollout's stable and candidate variants must differ");
  }
  for (const RouteVariant& v : route.variants) {
    if (&v != stable && &v != candidate && v.weight > 0) {
      return InvalidArgument("variant '" + v.name + "' of route '" + route.name +
                             "' takes traffic; a rollout needs the route's other variants at "
                             "weight 0");
    }
  }
  if (spec.steps.empty() || spec.steps.size() > 100) {
    return InvalidArgument("a rollout has 1 to 100 steps");
  }
  uint32_t previous = 0;
  for (uint32_t s : spec.steps) {
    if (s < 1 || s > 100 || s <= previous) {
      return InvalidArgument("a rollout's steps are percentages from 1 to 100, rising");
    }
    previous = s;
  }
  if (spec.interval_s < 1 || spec.interval_s > 86400) {
    return InvalidArgument("a rollout's interval_s is from 1 to 86400");
  }
  if (spec.failure_limit < 1 || spec.failure_limit > 1000) {
    return InvalidArgument("a rollout's failure_limit is from 1 to 1000");
  }
  if (spec.shadow_intervals > 1000) {
    return InvalidArgument("a rollout's shadow_intervals is at most 1000");
  }
  if (spec.shadow_sample_bp < 1 || spec.shadow_sample_bp > 10000) {
    return InvalidArgument("a rollout's shadow_sample is a share from 0.0001 to 1");
  }
  if (!spec.promote_alias.empty() && !spec.promote_stage.empty()) {
    return InvalidArgument("a rollout promotes by promote_alias or promote_stage, not both");
  }
  if (spec.shadow_intervals > 0 && route.shadow.enabled() &&
      route.shadow.variant != spec.candidate) {
    return InvalidArgument("route '" + route.name + "' mirrors to variant '" +
                           route.shadow.variant +
                           "'; a rollout's shadow phase mirrors to its candidate: remove the "
                           "route's shadow first");
  }
  const auto& g = spec.guards;
  for (const auto& share :
       {g.max_error_rate, g.max_error_rate_increase, g.max_shadow_disagreement}) {
    if (share && !(*share >= 0 && *share <= 1)) {
      return InvalidArgument(
          "a rollout's error-rate and disagreement guards are shares from 0 to 1");
    }
  }
  for (const auto& positive : {g.max_p99_ms, g.max_p99_ratio}) {
    if (positive && !(*positive > 0 && std::isfinite(*positive))) {
      return InvalidArgument("a rollout's latency guards are positive");
    }
  }
  if (g.min_requests < 1 || g.min_requests > 100'000'000) {
    return InvalidArgument("a rollout's min_requests is from 1 to 100000000");
  }
  return Status::Ok();
}

Judgement Judge(const RolloutSpec& spec, bool shadow, const RolloutWindow& w) {
  const RolloutGuards& g = spec.guards;
  Judgement j;
  j.candidate_requests = w.candidate.judged();
  j.stable_requests = w.stable.judged();
  j.candidate_error_rate = w.candidate.ErrorRate();
  j.stable_error_rate = w.stable.ErrorRate();
  if (auto q = w.candidate.Quantile(0.99)) j.candidate_p99_ms = *q * 1000;
  if (auto q = w.stable.Quantile(0.99)) j.stable_p99_ms = *q * 1000;
  j.shadow_compared = w.shadow_compared;
  auto fail = [&j](std::string detail) {
    j.verdict = Judgement::Verdict::kFail;
    j.detail = std::move(detail);
    return j;
  };
  if (shadow) {
    const uint64_t answered = w.shadow_compared + w.shadow_errors;
    if (answered < g.min_requests) {
      j.verdict = Judgement::Verdict::kHold;
      j.detail = std::to_string(answered) + " shadow answers in the window, " +
                 std::to_string(g.min_requests) + " needed";
      return j;
    }
    const double errors = static_cast<double>(w.shadow_errors) / answered;
    j.candidate_error_rate = errors;
    if (w.shadow_rows > 0) {
      j.shadow_disagreement = 1.0 - static_cast<double>(w.shadow_rows_agreeing) / w.shadow_rows;
    }
    if (g.max_error_rate && errors > *g.max_error_rate) {
      return fail("shadow error rate " + Percent(errors) + " > " + Percent(*g.max_error_rate));
    }
    if (g.max_shadow_disagreement && j.shadow_disagreement &&
        *j.shadow_disagreement > *g.max_shadow_disagreement) {
      return fail("shadow disagreement " + Percent(*j.shadow_disagreement) + " > " +
                  Percent(*g.max_shadow_disagreement));
    }
  } else {
    if (w.candidate.judged() < g.min_requests) {
      j.verdict = Judgement::Verdict::kHold;
      j.detail = std::to_string(w.candidate.judged()) + " candidate requests in the window, " +
                 std::to_string(g.min_requests) + " needed";
      return j;
    }
    if (g.max_error_rate && j.candidate_error_rate > *g.max_error_rate) {
      return fail("candidate error rate " + Percent(j.candidate_error_rate) + " > " +
                  Percent(*g.max_error_rate));
    }
    if (g.max_error_rate_increase &&
        j.candidate_error_rate - j.stable_error_rate > *g.max_error_rate_increase) {
      return fail("candidate error rate " + Percent(j.candidate_error_rate) + " exceeds stable's " +
                  Percent(j.stable_error_rate) + " by more than " +
                  Percent(*g.max_error_rate_increase));
    }
    if (g.max_p99_ms && j.candidate_p99_ms && *j.candidate_p99_ms > *g.max_p99_ms) {
      return fail("candidate p99 " + Number(*j.candidate_p99_ms) + " ms > " +
                  Number(*g.max_p99_ms) + " ms");
    }
    // Relative to stable only when stable answered enough to have a p99.
    if (g.max_p99_ratio && j.candidate_p99_ms && j.stable_p99_ms &&
        w.stable.judged() >= g.min_requests &&
        *j.candidate_p99_ms > *g.max_p99_ratio * *j.stable_p99_ms) {
      return fail("candidate p99 " + Number(*j.candidate_p99_ms) + " ms > " +
                  Number(*g.max_p99_ratio) + " x stable's " + Number(*j.stable_p99_ms) + " ms");
    }
  }
  j.verdict = Judgement::Verdict::kPass;
  j.detail = "all guards passed";
  return j;
}

Route RouteForRollout(const Route& route, const Rollout& rollout) {
  Route out = route;
  const uint32_t percent = rollout.candidate_percent();
  for (RouteVariant& v : out.variants) {
    if (v.name == rollout.spec.candidate) {
      v.weight = percent * 100;
    } else if (v.name == rollout.spec.stable) {
      v.weight = (100 - percent) * 100;
    }
  }
  if (rollout.active() && rollout.shadow_phase()) {
    out.shadow = {rollout.spec.candidate, rollout.spec.shadow_sample_bp, route.shadow.timeout_ms};
  } else if (out.shadow.variant == rollout.spec.candidate) {
    out.shadow = {};
  }
  return out;
}

std::string EncodeRollout(const Rollout& r) {
  const RolloutSpec& s = r.spec;
  std::string steps;
  for (uint32_t step : s.steps) steps += (steps.empty() ? "" : ",") + std::to_string(step);
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"route", s.route},
      {"stable", s.stable},
      {"candidate", s.candidate},
      {"steps", steps},
      {"interval_s", std::to_string(s.interval_s)},
      {"shadow_intervals", std::to_string(s.shadow_intervals)},
      {"shadow_sample_bp", std::to_string(s.shadow_sample_bp)},
      {"failure_limit", std::to_string(s.failure_limit)},
      {"dry_run", s.dry_run ? "1" : "0"},
      {"promote_alias", s.promote_alias},
      {"promote_stage", s.promote_stage},
      {"max_error_rate", Optional(s.guards.max_error_rate)},
      {"max_error_rate_increase", Optional(s.guards.max_error_rate_increase)},
      {"max_p99_ms", Optional(s.guards.max_p99_ms)},
      {"max_p99_ratio", Optional(s.guards.max_p99_ratio)},
      {"max_shadow_disagreement", Optional(s.guards.max_shadow_disagreement)},
      {"min_requests", std::to_string(s.guards.min_requests)},
      {"state", std::string(RolloutStateName(r.state))},
      {"step", std::to_string(r.step)},
      {"shadow_passed", std::to_string(r.shadow_passed)},
      {"failures", std::to_string(r.failures)},
      {"promoting", r.promoting ? "1" : "0"},
      {"reason", r.reason},
      {"started_ms", std::to_string(r.started_ms)},
      {"updated_ms", std::to_string(r.updated_ms)},
      {"last_verdict", std::string(VerdictName(r.last.verdict))},
      {"last_detail", r.last.detail},
      {"last_at_ms", std::to_string(r.last.at_ms)},
      {"last_candidate_requests", std::to_string(r.last.candidate_requests)},
      {"last_stable_requests", std::to_string(r.last.stable_requests)},
      {"last_candidate_error_rate", Exact(r.last.candidate_error_rate)},
      {"last_stable_error_rate", Exact(r.last.stable_error_rate)},
      {"last_candidate_p99_ms", Optional(r.last.candidate_p99_ms)},
      {"last_stable_p99_ms", Optional(r.last.stable_p99_ms)},
      {"last_shadow_disagreement", Optional(r.last.shadow_disagreement)},
      {"last_shadow_compared", std::to_string(r.last.shadow_compared)},
  };
  std::string out;
  for (const auto& [key, value] : fields) out += key + "=" + Escape(value) + "\n";
  return out;
}

StatusOr<Rollout> DecodeRollout(std::string_view text) {
  std::map<std::string, std::string, std::less<>> f;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const size_t eq = line.find('=');
    if (eq != std::string_view::npos) {
      f[std::string(line.substr(0, eq))] = Unescape(line.substr(eq + 1));
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  bool ok = true;
  auto integer = [&](std::string_view key, auto& out) {
    const std::string& v = f[std::string(key)];
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size()) ok = false;
  };
  auto real = [&](std::string_view key) -> std::optional<double> {
    const std::string& v = f[std::string(key)];
    if (v.empty()) return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (end != v.c_str() + v.size() || !std::isfinite(d)) ok = false;
    return d;
  };
  // Fields a store written by an older server lacks read as their defaults.
  auto count = [&](std::string_view key, auto& out) {
    if (!f[std::string(key)].empty()) integer(key, out);
  };

  Rollout r;
  RolloutSpec& s = r.spec;
  s.route = f["route"];
  s.stable = f["stable"];
  s.candidate = f["candidate"];
  s.steps.clear();
  std::string_view steps = f["steps"];
  while (!steps.empty()) {
    const size_t comma = steps.find(',');
    uint32_t step = 0;
    const std::string_view part = steps.substr(0, comma);
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), step);
    if (ec != std::errc() || end != part.data() + part.size()) ok = false;
    s.steps.push_back(step);
    if (comma == std::string_view::npos) break;
    steps.remove_prefix(comma + 1);
  }
  integer("interval_s", s.interval_s);
  integer("shadow_intervals", s.shadow_intervals);
  integer("shadow_sample_bp", s.shadow_sample_bp);
  integer("failure_limit", s.failure_limit);
  s.dry_run = f["dry_run"] == "1";
  s.promote_alias = f["promote_alias"];
  s.promote_stage = f["promote_stage"];
  s.guards.max_error_rate = real("max_error_rate");
  s.guards.max_error_rate_increase = real("max_error_rate_increase");
  s.guards.max_p99_ms = real("max_p99_ms");
  s.guards.max_p99_ratio = real("max_p99_ratio");
  s.guards.max_shadow_disagreement = real("max_shadow_disagreement");
  integer("min_requests", s.guards.min_requests);
  const auto state = ParseRolloutState(f["state"]);
  if (!state) ok = false;
  r.state = state.value_or(RolloutState::kAborted);
  integer("step", r.step);
  integer("shadow_passed", r.shadow_passed);
  integer("failures", r.failures);
  r.reason = f["reason"];
  integer("started_ms", r.started_ms);
  integer("updated_ms", r.updated_ms);
  for (auto v : {Judgement::Verdict::kNone, Judgement::Verdict::kPass, Judgement::Verdict::kFail,
                 Judgement::Verdict::kHold}) {
    if (VerdictName(v) == f["last_verdict"]) r.last.verdict = v;
  }
  r.last.detail = f["last_detail"];
  integer("last_at_ms", r.last.at_ms);
  r.promoting = f["promoting"] == "1";
  count("last_candidate_requests", r.last.candidate_requests);
  count("last_stable_requests", r.last.stable_requests);
  r.last.candidate_error_rate = real("last_candidate_error_rate").value_or(0.0);
  r.last.stable_error_rate = real("last_stable_error_rate").value_or(0.0);
  r.last.candidate_p99_ms = real("last_candidate_p99_ms");
  r.last.stable_p99_ms = real("last_stable_p99_ms");
  r.last.shadow_disagreement = real("last_shadow_disagreement");
  count("last_shadow_compared", r.last.shadow_compared);
  if (!ok || s.route.empty() || s.steps.empty() || s.interval_s < 1 || r.step < -1 ||
      r.step >= static_cast<int>(s.steps.size())) {
    return InvalidArgument("a stored rollout is damaged");
  }
  return r;
}

}  // namespace inferd
