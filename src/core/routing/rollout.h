// A canary rollout: a route moved from its stable variant to a candidate in
// steps (5, 10, 25, 50, 100 % ...), each step judged by guards over the
// window since the last judgement, optionally after a shadow phase in which
// the candidate only answers mirrored requests. Plain values, the judgement
// as a pure function, and the text form the route store keeps.
//
// Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/routing/route.h"
#include "core/routing/route_stats.h"
#include "core/status.h"

namespace inferd {

// Each guard is off when unset. A window with fewer than min_requests
// candidate requests (compared answers in the shadow phase) is a hold.
struct RolloutGuards {
  std::optional<double> max_error_rate;  // candidate's failure share (RouteOutcome::kFailure)
  std::optional<double> max_error_rate_increase;  // candidate's minus stable's
  std::optional<double> max_p99_ms;               // candidate's p99
  std::optional<double> max_p99_ratio;            // candidate's p99 over stable's
  std::optional<double> max_shadow_disagreement;  // shadow phase: rows that disagree
  uint64_t min_requests = 20;
  bool operator==(const RolloutGuards&) const = default;
};

struct RolloutSpec {
  std::string route;
  std::string stable;  // variant names of the route
  std::string candidate;
  std::vector<uint32_t> steps{5, 10, 25, 50, 100};  // candidate's percent, ascending
  uint32_t interval_s = 60;
  uint32_t shadow_intervals = 0;      // judged shadow intervals before the first step
  uint32_t shadow_sample_bp = 10000;  // share mirrored in the shadow phase
  uint32_t failure_limit = 1;         // failed judgements that roll back
  bool dry_run = false;               // judge and report; never roll back
  std::string promote_alias;          // moved to the candidate's version on success
  std::string promote_stage;          // or the candidate's version moved to this stage
  RolloutGuards guards;
  bool operator==(const RolloutSpec&) const = default;
};

enum class RolloutState { kProgressing, kPaused, kPromoted, kRolledBack, kAborted };
std::string_view RolloutStateName(RolloutState state);
std::optional<RolloutState> ParseRolloutState(std::string_view name);

// What the candidate and stable variants (or the shadow) did in a window.
struct RolloutWindow {
  VariantTotals stable;
  VariantTotals candidate;
  uint64_t shadow_compared = 0;
  uint64_t shadow_errors = 0;
  uint64_t shadow_rows = 0;
  uint64_t shadow_rows_agreeing = 0;
};

struct Judgement {
  enum class Verdict { kNone, kPass, kFail, kHold };
  Verdict verdict = Verdict::kNone;
  std::string detail;  // the failed guard, the hold's reason, or "all guards passed"
  int64_t at_ms = 0;
  uint64_t candidate_requests = 0;
  uint64_t stable_requests = 0;
  double candidate_error_rate = 0;
  double stable_error_rate = 0;
  std::optional<double> candidate_p99_ms;
  std::optional<double> stable_p99_ms;
  std::optional<double> shadow_disagreement;
  uint64_t shadow_compared = 0;
};
std::string_view VerdictName(Judgement::Verdict verdict);

struct Rollout {
  RolloutSpec spec;
  RolloutState state = RolloutState::kProgressing;
  // -1 in the shadow phase, else the index of the step that serves now.
  int step = 0;
  uint32_t shadow_passed = 0;
  uint32_t failures = 0;
  // Passed its last step; the alias or stage is being moved (retried each
  // interval until it is, never judged again).
  bool promoting = false;
  std::string reason;  // why it rolled back or was aborted
  Judgement last;
  int64_t started_ms = 0;
  int64_t updated_ms = 0;

  bool active() const {
    return state == RolloutState::kProgressing || state == RolloutState::kPaused;
  }
  bool shadow_phase() const { return step < 0; }
  // The candidate's share now, in percent.
  uint32_t candidate_percent() const;
};

// INVALID_ARGUMENT with the reason unless the spec can run on `route`: both
// variants are the route's and differ, the route's other variants take no
// traffic, steps rise within 1-100, the interval is 1 s to a day, limits
// are sane (finite), at most one of promote_alias and promote_stage is set,
// and a shadow phase does not displace the route's shadow of another variant.
Status ValidateRollout(const RolloutSpec& spec, const Route& route);

// The judgement of one window (the shadow phase's guards when `shadow`).
Judgement Judge(const RolloutSpec& spec, bool shadow, const RolloutWindow& window);

// `route` with the weights (and shadow) that `rollout`'s current step
// (or final state) calls for.
Route RouteForRollout(const Route& route, const Rollout& rollout);

// The text the route store keeps (one "key=value" per line), and back.
std::string EncodeRollout(const Rollout& rollout);
StatusOr<Rollout> DecodeRollout(std::string_view text);

}  // namespace inferd
