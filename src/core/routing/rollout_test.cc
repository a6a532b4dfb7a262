#include "core/routing/rollout.h"

#include <gtest/gtest.h>

namespace inferd {
namespace {

Route Canary() {
  Route route;
  route.name = "clf";
  route.variants = {{"stable", "m", "1", 100}, {"candidate", "m", "2", 0}};
  return route;
}

RolloutSpec Spec() {
  RolloutSpec spec;
  spec.route = "clf";
  spec.stable = "stable";
  spec.candidate = "candidate";
  spec.guards.min_requests = 10;
  return spec;
}

// `count` requests of `ms` each, `errors` of them failures.
VariantTotals Served(uint64_t count, uint64_t errors, double ms) {
  VariantTotals t;
  t.requests = count;
  t.failures = errors;
  const auto& bounds = RouteStats::LatencyBounds();
  t.latency.assign(bounds.size() + 1, 0);
  for (size_t i = 0; i < t.latency.size(); ++i) {
    if (i == bounds.size() || bounds[i] >= ms / 1000) t.latency[i] = count;
  }
  return t;
}

TEST(RolloutTest, ValidationSaysWhatIsWrong) {
  EXPECT_TRUE(ValidateRollout(Spec(), Canary()).ok());
  auto refused = [](RolloutSpec spec, Route route, std::string_view says) {
    Status s = ValidateRollout(spec, route);
    EXPECT_FALSE(s.ok()) << says;
    EXPECT_NE(s.message().find(says), std::string::npos) << s.message();
  };
  RolloutSpec spec = Spec();
  spec.candidate = "nope";
  refused(spec, Canary(), "no variant 'nope'");
  spec = Spec();
  spec.steps = {10, 5};
  refused(spec, Canary(), "rising");
  spec.steps = {0, 100};
  refused(spec, Canary(), "rising");
  spec = Spec();
  spec.interval_s = 0;
  refused(spec, Canary(), "interval_s");
  spec = Spec();
  spec.promote_alias = "champion";
  spec.promote_stage = "Production";
  refused(spec, Canary(), "not both");
  spec = Spec();
  spec.guards.max_error_rate = 1.5;
  refused(spec, Canary(), "shares from 0 to 1");
  Route busy = Canary();
  busy.variants.push_back({"other", "n", "", 5});
  refused(Spec(), busy, "weight 0");
}

TEST(RolloutTest, ThinTrafficHoldsNeverPassesOrFails) {
  RolloutSpec spec = Spec();
  spec.guards.max_error_rate = 0.01;
  RolloutWindow w;
  w.stable = Served(500, 0, 1);
  w.candidate = Served(9, 9, 1);  // all failed, but only 9 of 10 needed
  Judgement j = Judge(spec, false, w);
  EXPECT_EQ(j.verdict, Judgement::Verdict::kHold);
  EXPECT_NE(j.detail.find("9 candidate requests"), std::string::npos) << j.detail;
}

TEST(RolloutTest, EachGuardFailsWithItsNumbers) {
  RolloutSpec spec = Spec();
  spec.guards.max_error_rate = 0.05;
  RolloutWindow w;
  w.stable = Served(100, 0, 1);
  w.candidate = Served(100, 20, 1);
  Judgement j = Judge(spec, false, w);
  EXPECT_EQ(j.verdict, Judgement::Verdict::kFail);
  EXPECT_EQ(j.detail, "candidate error rate 20% > 5%");
  EXPECT_DOUBLE_EQ(j.candidate_error_rate, 0.2);

  spec = Spec();
  spec.guards.max_error_rate_increase = 0.05;
  w.stable = Served(100, 10, 1);
  w.candidate = Served(100, 12, 1);
  EXPECT_EQ(Judge(spec, false, w).verdict, Judgement::Verdict::kPass);
  w.candidate = Served(100, 20, 1);
  EXPECT_EQ(Judge(spec, false, w).verdict, Judgement::Verdict::kFail);

  spec = Spec();
  spec.guards.max_p99_ms = 50;
  w.stable = Served(100, 0, 1);
  w.candidate = Served(100, 0, 200);
  j = Judge(spec, false, w);
  EXPECT_EQ(j.verdict, Judgement::Verdict::kFail);
  EXPECT_GE(*j.candidate_p99_ms, 200);
  EXPECT_LT(*j.candidate_p99_ms, 260);

  spec = Spec();
  spec.guards.max_p99_ratio = 2;
  w.stable = Served(100, 0, 10);
  w.candidate = Served(100, 0, 15);
  EXPECT_EQ(Judge(spec, false, w).verdict, Judgement::Verdict::kPass);
  w.candidate = Served(100, 0, 40);
  EXPECT_EQ(Judge(spec, false, w).verdict, Judgement::Verdict::kFail);
  // Without enough stable requests there is nothing to compare with.
  w.stable = Served(3, 0, 10);
  EXPECT_EQ(Judge(spec, false, w).verdict, Judgement::Verdict::kPass);
}

TEST(RolloutTest, TheShadowPhaseJudgesDisagreement) {
  RolloutSpec spec = Spec();
  spec.guards.max_shadow_disagreement = 0.1;
  RolloutWindow w;
  w.shadow_compared = 5;
  EXPECT_EQ(Judge(spec, true, w).verdict, Judgement::Verdict::kHold);
  w.shadow_compared = 50;
  w.shadow_rows = 100;
  w.shadow_rows_agreeing = 95;
  Judgement j = Judge(spec, true, w);
  EXPECT_EQ(j.verdict, Judgement::Verdict::kPass);
  EXPECT_NEAR(*j.shadow_disagreement, 0.05, 1e-9);
  w.shadow_rows_agreeing = 80;
  j = Judge(spec, true, w);
  EXPECT_EQ(j.verdict, Judgement::Verdict::kFail);
  EXPECT_EQ(j.detail, "shadow disagreement 20% > 10%");
}

TEST(RolloutTest, WeightsFollowTheStepAndTheEnd) {
  Rollout r;
  r.spec = Spec();
  r.spec.steps = {10, 50, 100};
  r.step = 1;
  Route route = RouteForRollout(Canary(), r);
  EXPECT_EQ(route.variants[0].weight, 5000u);
  EXPECT_EQ(route.variants[1].weight, 5000u);
  EXPECT_FALSE(route.shadow.enabled());
  r.state = RolloutState::kRolledBack;
  route = RouteForRollout(Canary(), r);
  EXPECT_EQ(route.variants[0].weight, 10000u);
  EXPECT_EQ(route.variants[1].weight, 0u);
  r.state = RolloutState::kPromoted;
  EXPECT_EQ(RouteForRollout(Canary(), r).variants[1].weight, 10000u);
  // The shadow phase mirrors to the candidate, which takes no traffic.
  r.state = RolloutState::kProgressing;
  r.step = -1;
  r.spec.shadow_sample_bp = 2500;
  route = RouteForRollout(Canary(), r);
  EXPECT_EQ(route.variants[1].weight, 0u);
  EXPECT_EQ(route.shadow.variant, "candidate");
  EXPECT_EQ(route.shadow.sample_bp, 2500u);
}

TEST(RolloutTest, TheStoredTextRoundTrips) {
  Rollout r;
  r.spec = Spec();
  r.spec.steps = {5, 25, 100};
  r.spec.guards.max_error_rate = 0.05;
  r.spec.guards.max_p99_ratio = 1.5;
  r.spec.promote_alias = "champion";
  r.spec.dry_run = true;
  r.state = RolloutState::kRolledBack;
  r.step = 2;
  r.failures = 3;
  r.reason = "candidate error rate 31% > 5%\nwith a newline and a \\";
  r.last.verdict = Judgement::Verdict::kFail;
  r.last.detail = "x=y";
  r.last.at_ms = 1234;
  r.started_ms = 1000;
  r.updated_ms = 2000;
  auto back = DecodeRollout(EncodeRollout(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->spec, r.spec);
  EXPECT_EQ(back->state, r.state);
  EXPECT_EQ(back->step, 2);
  EXPECT_EQ(back->failures, 3u);
  EXPECT_EQ(back->reason, r.reason);
  EXPECT_EQ(back->last.verdict, Judgement::Verdict::kFail);
  EXPECT_EQ(back->last.detail, "x=y");
  EXPECT_EQ(back->updated_ms, 2000);
  EXPECT_FALSE(DecodeRollout("route=clf\nstate=sideways\n").ok());
  EXPECT_FALSE(DecodeRollout("route=clf\nstate=paused\nstep=x\n").ok());
}

}  // namespace
}  // namespace inferd
