// Runs canary rollouts: at each interval it judges the window since the
// last judgement (core/routing/rollout.h), then moves the route a step
// forward, holds, counts a failure, rolls back, or promotes, and writes the
// route and the rollout's state through RouteControl in one transaction, so
// a restart resumes at the same step.
//
// Ownership: borrows control, stats and mirror, which outlive it; owns a
// ticking thread between Start and Stop. Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/routing/rollout.h"
#include "core/routing/route_control.h"
#include "core/routing/route_stats.h"
#include "core/routing/shadow_mirror.h"
#include "core/scheduler/periodic_task.h"
#include "observability/metrics.h"

namespace inferd {

class RolloutController {
 public:
  struct Hooks {
    // The model version a variant serves now (a label or alias resolved).
    std::function<StatusOr<int64_t>(const RouteVariant&)> version_of;
    // Moves the spec's promote_alias (or promote_stage) to `version` of `model`.
    std::function<Status(const RolloutSpec&, const std::string& model, int64_t version)> promote;
    // Told of every change the controller makes by itself (a step, a
    // rollback, a promotion): `action` is "rollout.step", "rollout.rollback"
    // or "rollout.promote". Optional (main audits them).
    std::function<void(const Rollout&, std::string_view action)> changed;
  };

  RolloutController(RouteControl* control, const RouteStats* stats, const ShadowMirror* shadows,
                    Hooks hooks);
  ~RolloutController() { Stop(); }
  RolloutController(const RolloutController&) = delete;
  RolloutController& operator=(const RolloutController&) = delete;

  // The stored rollouts, before Start; active ones resume their step with a
  // fresh window.
  void Restore(std::vector<Rollout> rollouts);
  void Start(std::chrono::milliseconds tick = std::chrono::milliseconds(250));
  void Stop();

  // FAILED_PRECONDITION while the route has an active rollout; NOT_FOUND for
  // an unknown route; ValidateRollout's errors.
  StatusOr<Rollout> Begin(RolloutSpec spec);
  // FAILED_PRECONDITION for a pause of a paused rollout, a resume of one
  // that is not paused, and any of them once a rollout is being promoted.
  StatusOr<Rollout> Pause(std::string_view route);
  StatusOr<Rollout> Resume(std::string_view route);
  StatusOr<Rollout> Abort(std::string_view route);
  std::optional<Rollout> Get(std::string_view route) const;
  // True while a rollout is progressing or paused on the route.
  bool Active(std::string_view route) const;
  // The route is gone: its rollout with it.
  void Forget(std::string_view route);

  // Judges every rollout whose interval has passed (the thread calls it
  // with SteadyMs(); intervals never follow the wall clock's steps).
  void Tick(int64_t now_ms);
  // Rollout gauges and every route's weights, at each scrape.
  void CollectMetrics(MetricsRegistry& registry) const;

  static int64_t NowMs();     // wall clock: the times a rollout reports
  static int64_t SteadyMs();  // monotonic: when the next judgement is due

 private:
  struct Live {
    Rollout rollout;
    int64_t next_ms = 0;
    VariantTotals stable_base;
    VariantTotals candidate_base;
    ShadowTotals shadow_base;
    bool unsaved = false;  // serves a rollback or abort the store has not taken yet
  };
  void ResetWindow(Live& live) const;
  RolloutWindow Window(const Live& live) const;
  // Writes the route's weights for the rollout's state with the rollout.
  // With `unsaved`: serves them even when the store fails (and says so).
  Status Apply(const Rollout& rollout, bool* unsaved = nullptr);
  // Judges one window and writes the outcome; true when the rollout has
  // passed its last step and is to be promoted.
  bool Judge(Live& live, int64_t now_ms);
  // Moves the alias or stage (unlocked), then marks the rollout promoted.
  void Promote(const std::string& route, int64_t started_ms);
  StatusOr<Live*> FindActive(std::string_view route);
  // Pause, resume or abort a rollout in progress.
  StatusOr<Rollout> SetState(std::string_view route, RolloutState state, std::string_view message);

  RouteControl* control_;
  const RouteStats* stats_;
  const ShadowMirror* shadows_;
  Hooks hooks_;
  mutable std::mutex mu_;
  std::map<std::string, Live, std::less<>> live_;
  std::unique_ptr<PeriodicTask> ticker_;
};

}  // namespace inferd
