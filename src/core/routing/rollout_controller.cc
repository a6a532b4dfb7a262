#include "core/routing/rollout_controller.h"

#include "observability/log.h"

namespace inferd {

RolloutController::RolloutController(RouteControl* control, const RouteStats* stats,
                                     const ShadowMirror* shadows, Hooks hooks)
    : control_(control), stats_(stats), shadows_(shadows), hooks_(std::move(hooks)) {}

int64_t RolloutController::SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t RolloutController::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RolloutController::Restore(std::vector<Rollout> rollouts) {
  std::lock_guard lock(mu_);
  const int64_t now = SteadyMs();
  for (Rollout& r : rollouts) {
    const std::string route = r.spec.route;
    Live live;
    live.rollout = std::move(r);
    live.next_ms = now + int64_t{live.rollout.spec.interval_s} * 1000;
    ResetWindow(live);
    if (live.rollout.active()) {
      LogInfo("rollout resumed",
              {{"route", route},
               {"state", RolloutStateName(live.rollout.state)},
               {"candidate_percent", static_cast<int64_t>(live.rollout.candidate_percent())}});
    }
    live_[route] = std::move(live);
  }
}

void RolloutController::Start(std::chrono::milliseconds tick) {
  ticker_ = std::make_unique<PeriodicTask>(tick, [this] { Tick(SteadyMs()); });
}

void RolloutController::Stop() {
  if (ticker_) ticker_->Stop();
}

void RolloutController::ResetWindow(Live& live) const {
  const RolloutSpec& spec = live.rollout.spec;
  if (stats_ != nullptr) {
    live.stable_base = stats_->Totals(spec.route, spec.stable);
    live.candidate_base = stats_->Totals(spec.route, spec.candidate);
  }
  if (shadows_ != nullptr) live.shadow_base = shadows_->Totals(spec.route, spec.candidate);
}

RolloutWindow RolloutController::Window(const Live& live) const {
  const RolloutSpec& spec = live.rollout.spec;
  RolloutWindow w;
  if (stats_ != nullptr) {
    w.stable = stats_->Totals(spec.route, spec.stable).Minus(live.stable_base);
    w.candidate = stats_->Totals(spec.route, spec.candidate).Minus(live.candidate_base);
  }
  if (shadows_ != nullptr) {
    const ShadowTotals now = shadows_->Totals(spec.route, spec.candidate);
    const ShadowTotals& base = live.shadow_base;
    w.shadow_compared = now.compared - std::min(now.compared, base.compared);
    w.shadow_errors = now.errors - std::min(now.errors, base.errors);
    w.shadow_rows = now.rows - std::min(now.rows, base.rows);
    w.shadow_rows_agreeing = now.rows_agreeing - std::min(now.rows_agreeing, base.rows_agreeing);
  }
  return w;
}

Status RolloutController::Apply(const Rollout& rollout, bool* unsaved) {
  std::shared_ptr<const Route> route = control_->table().Find(rollout.spec.route);
  if (!route) return NotFound("no route named '" + rollout.spec.route + "'");
  Status put = control_->Put(RouteForRollout(*route, rollout), &rollout, unsaved != nullptr);
  if (unsaved == nullptr) return put;
  // Served regardless: written again at the next tick until the store takes it.
  *unsaved = !put.ok();
  if (!put.ok()) {
    LogError("rollout change serves but is not in the database yet; retried each tick",
             {{"route", rollout.spec.route}, {"reason", put.message()}});
  }
  return Status::Ok();
}

StatusOr<Rollout> RolloutController::Begin(RolloutSpec spec) {
  std::lock_guard lock(mu_);
  std::shared_ptr<const Route> route = control_->table().Find(spec.route);
  if (!route) return NotFound("no route named '" + spec.route + "'");
  if (auto it = live_.find(spec.route); it != live_.end() && it->second.rollout.active()) {
    return FailedPrecondition("route '" + spec.route +
                              "' already has a rollout in progress; abort it first");
  }
  INFERD_RETURN_IF_ERROR(ValidateRollout(spec, *route));
  Live live;
  Rollout& r = live.rollout;
  r.spec = std::move(spec);
  r.step = r.spec.shadow_intervals > 0 ? -1 : 0;
  r.started_ms = r.updated_ms = NowMs();
  INFERD_RETURN_IF_ERROR(Apply(r));
  live.next_ms = SteadyMs() + int64_t{r.spec.interval_s} * 1000;
  ResetWindow(live);
  LogInfo("rollout started", {{"route", r.spec.route},
                              {"stable", r.spec.stable},
                              {"candidate", r.spec.candidate},
                              {"candidate_percent", static_cast<int64_t>(r.candidate_percent())}});
  Rollout out = r;
  live_[out.spec.route] = std::move(live);
  return out;
}

StatusOr<RolloutController::Live*> RolloutController::FindActive(std::string_view route) {
  auto it = live_.find(route);
  if (it == live_.end() || !it->second.rollout.active()) {
    return NotFound("route '" + std::string(route) + "' has no rollout in progress");
  }
  return &it->second;
}

StatusOr<Rollout> RolloutController::Pause(std::string_view route) {
  return SetState(route, RolloutState::kPaused, "rollout paused");
}

StatusOr<Rollout> RolloutController::Resume(std::string_view route) {
  return SetState(route, RolloutState::kProgressing, "rollout resumed");
}

StatusOr<Rollout> RolloutController::Abort(std::string_view route) {
  return SetState(route, RolloutState::kAborted, "rollout aborted: all traffic back on stable");
}

StatusOr<Rollout> RolloutController::SetState(std::string_view route, RolloutState state,
                                              std::string_view message) {
  std::lock_guard lock(mu_);
  INFERD_ASSIGN_OR_RETURN(Live * live, FindActive(route));
  Rollout next = live->rollout;
  if (next.promoting) {
    return FailedPrecondition("route '" + std::string(route) +
                              "' passed its last step and is being promoted");
  }
  if (state == RolloutState::kPaused && next.state != RolloutState::kProgressing) {
    return FailedPrecondition("the rollout of route '" + std::string(route) + "' is paused");
  }
  if (state == RolloutState::kProgressing && next.state != RolloutState::kPaused) {
    return FailedPrecondition("the rollout of route '" + std::string(route) + "' is not paused");
  }
  next.state = state;
  if (state == RolloutState::kAborted) next.reason = "aborted";
  next.updated_ms = NowMs();
  // An abort serves at once, even when the database cannot take it now.
  INFERD_RETURN_IF_ERROR(Apply(next, state == RolloutState::kAborted ? &live->unsaved : nullptr));
  live->rollout = next;
  if (state == RolloutState::kProgressing) {
    // A fresh window: what happened while paused is not judged.
    live->next_ms = SteadyMs() + int64_t{next.spec.interval_s} * 1000;
    ResetWindow(*live);
  }
  LogInfo(message, {{"route", route}, {"candidate_percent", int64_t{next.candidate_percent()}}});
  return next;
}

std::optional<Rollout> RolloutController::Get(std::string_view route) const {
  std::lock_guard lock(mu_);
  auto it = live_.find(route);
  if (it == live_.end()) return std::nullopt;
  return it->second.rollout;
}

bool RolloutController::Active(std::string_view route) const {
  std::lock_guard lock(mu_);
  auto it = live_.find(route);
  return it != live_.end() && it->second.rollout.active();
}

void RolloutController::Forget(std::string_view route) {
  std::lock_guard lock(mu_);
  if (auto it = live_.find(route); it != live_.end()) live_.erase(it);
}

void RolloutController::Tick(int64_t now_ms) {
  std::vector<std::pair<std::string, int64_t>> to_promote;  // route, started_ms
  {
    std::lock_guard lock(mu_);
    for (auto& [route, live] : live_) {
      if (live.unsaved) (void)Apply(live.rollout, &live.unsaved);
      if (live.rollout.state != RolloutState::kProgressing || now_ms < live.next_ms) continue;
      if (live.rollout.promoting) {  // judged already: only the move is retried
        live.next_ms = now_ms + int64_t{live.rollout.spec.interval_s} * 1000;
        to_promote.emplace_back(route, live.rollout.started_ms);
      } else if (Judge(live, now_ms)) {
        to_promote.emplace_back(route, live.rollout.started_ms);
      }
    }
  }
  // Unlocked: moving an alias reloads models on the admin thread, which may
  // be running an API call that waits for this controller.
  for (const auto& [route, started_ms] : to_promote) Promote(route, started_ms);
}

void RolloutController::Promote(const std::string& name, int64_t started_ms) {
  RolloutSpec spec;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(name);
    if (it == live_.end() || it->second.rollout.started_ms != started_ms ||
        !it->second.rollout.promoting) {
      return;  // replaced meanwhile
    }
    spec = it->second.rollout.spec;
  }
  Status promoted = Status::Ok();
  if (!spec.promote_alias.empty() || !spec.promote_stage.empty()) {
    std::optional<RouteVariant> candidate;
    if (auto route = control_->table().Find(spec.route)) {
      for (const RouteVariant& v : route->variants) {
        if (v.name == spec.candidate) candidate = v;
      }
    }
    if (!candidate) {
      promoted = NotFound("the route has no variant '" + spec.candidate + "'");
    } else {
      auto version = hooks_.version_of ? hooks_.version_of(*candidate)
                                       : StatusOr<int64_t>(Unavailable("no registry"));
      promoted =
          !version.ok() ? version.status() : hooks_.promote(spec, candidate->model, *version);
    }
  }
  std::lock_guard lock(mu_);
  auto it = live_.find(name);
  if (it == live_.end() || it->second.rollout.started_ms != started_ms ||
      !it->second.rollout.promoting) {
    return;
  }
  Rollout next = it->second.rollout;
  if (promoted.ok()) {
    next.state = RolloutState::kPromoted;
    next.promoting = false;
    next.reason.clear();
  } else {
    next.reason = "promotion failed, retried each interval: " + promoted.message();
  }
  next.updated_ms = NowMs();
  if (Status applied = Apply(next); !applied.ok()) {
    LogError("rollout promotion not written; retried next interval",
             {{"route", name}, {"reason", applied.message()}});
    return;
  }
  it->second.rollout = next;
  if (promoted.ok() && hooks_.changed) hooks_.changed(next, "rollout.promote");
  if (promoted.ok()) {
    LogInfo("rollout promoted: all traffic on the candidate",
            {{"route", name},
             {"candidate", spec.candidate},
             {"promote_alias", spec.promote_alias},
             {"promote_stage", spec.promote_stage}});
  } else {
    LogWarn("rollout promotion failed", {{"route", name}, {"reason", promoted.message()}});
  }
}

bool RolloutController::Judge(Live& live, int64_t now_ms) {
  Rollout next = live.rollout;
  const RolloutSpec spec = next.spec;  // a copy: `next` moves below
  Judgement j = inferd::Judge(spec, next.shadow_phase(), Window(live));
  j.at_ms = NowMs();
  bool advance = false;
  bool new_window = true;
  switch (j.verdict) {
    case Judgement::Verdict::kHold:
      new_window = false;  // thin traffic: the window grows until it can judge
      break;
    case Judgement::Verdict::kFail:
      if (spec.dry_run) {
        j.detail += " (dry run: not counted)";
        advance = true;
      } else if (++next.failures >= spec.failure_limit) {
        next.state = RolloutState::kRolledBack;
        next.reason = j.detail;
      }
      break;
    case Judgement::Verdict::kPass:
    case Judgement::Verdict::kNone:
      advance = true;
      break;
  }
  bool promote = false;
  if (advance) {
    if (next.shadow_phase()) {
      if (++next.shadow_passed >= spec.shadow_intervals) next.step = 0;
    } else if (static_cast<size_t>(next.step) + 1 < spec.steps.size()) {
      ++next.step;
    } else {
      promote = true;  // through the last step: no judging again, only promoting
      next.promoting = true;
    }
  }
  next.last = j;
  next.updated_ms = NowMs();
  live.next_ms = now_ms + int64_t{spec.interval_s} * 1000;
  // A rollback serves at once, even when the database cannot take it now.
  const bool rolled_back = next.state == RolloutState::kRolledBack;
  if (Status applied = Apply(next, rolled_back ? &live.unsaved : nullptr); !applied.ok()) {
    LogError("rollout step not written; judged again next interval",
             {{"route", spec.route}, {"reason", applied.message()}});
    return false;
  }
  const bool moved = next.step != live.rollout.step || next.state != live.rollout.state;
  live.rollout = std::move(next);
  if (new_window) ResetWindow(live);
  const Rollout& r = live.rollout;
  const std::initializer_list<LogField> fields = {
      {"route", spec.route},
      {"verdict", VerdictName(r.last.verdict)},
      {"detail", r.last.detail},
      {"state", RolloutStateName(r.state)},
      {"candidate_percent", static_cast<int64_t>(r.candidate_percent())},
      {"candidate_requests", static_cast<int64_t>(r.last.candidate_requests)},
      {"failures", static_cast<int64_t>(r.failures)}};
  if (moved && hooks_.changed) {
    hooks_.changed(r, r.state == RolloutState::kRolledBack ? "rollout.rollback" : "rollout.step");
  }
  if (r.state == RolloutState::kRolledBack) {
    LogWarn("rollout rolled back: all traffic back on stable", fields);
  } else {
    LogInfo(moved ? "rollout moved" : "rollout judged", fields);
  }
  return promote;
}

void RolloutController::CollectMetrics(MetricsRegistry& registry) const {
  registry.ClearGauges("inferd_route_weight");
  for (const Route& route : control_->table().List()) {
    uint64_t total = 0;
    for (const RouteVariant& v : route.variants) total += v.weight;
    for (const RouteVariant& v : route.variants) {
      registry
          .GetGauge("inferd_route_weight", "Share of a route's traffic each variant takes (0-1).",
                    {{"route", route.name}, {"variant", v.name}})
          .Set(total == 0 ? 0.0 : static_cast<double>(v.weight) / total);
    }
  }
  registry.ClearGauges("inferd_route_rollout_state");
  registry.ClearGauges("inferd_route_rollout_candidate_percent");
  registry.ClearGauges("inferd_route_rollout_failures");
  std::lock_guard lock(mu_);
  for (const auto& [route, live] : live_) {
    const Rollout& r = live.rollout;
    for (RolloutState s :
         {RolloutState::kProgressing, RolloutState::kPaused, RolloutState::kPromoted,
          RolloutState::kRolledBack, RolloutState::kAborted}) {
      registry
          .GetGauge("inferd_route_rollout_state", "1 for the state each route's rollout is in.",
                    {{"route", route}, {"state", std::string(RolloutStateName(s))}})
          .Set(r.state == s ? 1 : 0);
    }
    registry
        .GetGauge("inferd_route_rollout_candidate_percent",
                  "The candidate's share of a rollout's route now, in percent.", {{"route", route}})
        .Set(r.candidate_percent());
    registry
        .GetGauge("inferd_route_rollout_failures", "Failed judgements of a route's rollout.",
                  {{"route", route}})
        .Set(r.failures);
  }
}

}  // namespace inferd
