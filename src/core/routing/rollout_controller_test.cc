#include "core/routing/rollout_controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "storage/sqlite_route_store.h"

namespace inferd {
namespace {

namespace fs = std::filesystem;

// A server's route side as main composes it, on a database in a temp dir.
struct Routes {
  explicit Routes(const fs::path& db, RolloutController::Hooks hooks = {})
      : control(&table,
                [db](bool create) -> StatusOr<std::unique_ptr<RouteStore>> {
                  auto opened = SqliteRouteStore::Open(db, create);
                  if (!opened.ok()) return opened.status();
                  return std::unique_ptr<RouteStore>(std::move(opened).value());
                }),
        stats(&metrics),
        rollouts(&control, &stats, nullptr, std::move(hooks)) {}

  // `n` answers of `variant`, `failed` of them failures.
  void Serve(const std::string& variant, int n, int failed = 0) {
    for (int i = 0; i < n; ++i) {
      stats.Record("clf", variant, i < failed ? RouteOutcome::kFailure : RouteOutcome::kSuccess,
                   std::chrono::milliseconds(2));
    }
  }
  uint32_t Weight(const std::string& variant) const {
    for (const RouteVariant& v : table.Find("clf")->variants) {
      if (v.name == variant) return v.weight;
    }
    return 0;
  }

  MetricsRegistry metrics;
  RouteTable table;
  RouteControl control;
  RouteStats stats;
  RolloutController rollouts;
};

class RolloutControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("inferd_rollouts_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Route Canary() {
    Route route;
    route.name = "clf";
    route.variants = {{"stable", "m", "1", 100}, {"candidate", "m", "2", 0}};
    return route;
  }
  static RolloutSpec Spec() {
    RolloutSpec spec;
    spec.route = "clf";
    spec.stable = "stable";
    spec.candidate = "candidate";
    spec.steps = {10, 50, 100};
    spec.interval_s = 10;
    spec.guards.min_requests = 5;
    spec.guards.max_error_rate = 0.1;
    return spec;
  }
  fs::path db() const { return dir_ / "routes.db"; }

  fs::path dir_;
};

TEST_F(RolloutControllerTest, AHealthyCandidateStepsUpAndIsPromoted) {
  std::vector<std::string> promoted;
  RolloutController::Hooks hooks;
  hooks.version_of = [](const RouteVariant& v) -> StatusOr<int64_t> {
    return std::stoll(v.version);
  };
  hooks.promote = [&](const RolloutSpec& spec, const std::string& model, int64_t version) {
    promoted.push_back(spec.promote_alias + "->" + model + "@" + std::to_string(version));
    return Status::Ok();
  };
  Routes r(db(), hooks);
  ASSERT_TRUE(r.control.Put(Canary()).ok());
  RolloutSpec spec = Spec();
  spec.promote_alias = "champion";
  auto begun = r.rollouts.Begin(spec);
  ASSERT_TRUE(begun.ok()) << begun.status().message();
  const int64_t t0 = RolloutController::SteadyMs();
  EXPECT_EQ(r.Weight("candidate"), 1000u);
  EXPECT_EQ(r.Weight("stable"), 9000u);

  r.rollouts.Tick(t0 + 5000);  // before the interval: nothing
  EXPECT_EQ(r.rollouts.Get("clf")->step, 0);
  r.Serve("candidate", 10);
  r.rollouts.Tick(t0 + 10000);
  EXPECT_EQ(r.rollouts.Get("clf")->step, 1);
  EXPECT_EQ(r.Weight("candidate"), 5000u);
  r.Serve("candidate", 10);
  r.rollouts.Tick(t0 + 20000);
  EXPECT_EQ(r.Weight("candidate"), 10000u);
  r.Serve("candidate", 10);
  r.rollouts.Tick(t0 + 30000);
  const Rollout done = *r.rollouts.Get("clf");
  EXPECT_EQ(done.state, RolloutState::kPromoted);
  EXPECT_EQ(r.Weight("candidate"), 10000u);
  EXPECT_EQ(promoted, std::vector<std::string>{"champion->m@2"});
  EXPECT_FALSE(r.rollouts.Active("clf"));
}

TEST_F(RolloutControllerTest, FailuresRollBackAtTheLimitWithTheReason) {
  Routes r(db());
  ASSERT_TRUE(r.control.Put(Canary()).ok());
  RolloutSpec spec = Spec();
  spec.failure_limit = 2;
  ASSERT_TRUE(r.rollouts.Begin(spec).ok());
  const int64_t t0 = RolloutController::SteadyMs();
  r.Serve("candidate", 10, 5);
  r.rollouts.Tick(t0 + 10000);
  Rollout now = *r.rollouts.Get("clf");
  EXPECT_EQ(now.state, RolloutState::kProgressing);
  EXPECT_EQ(now.failures, 1u);
  EXPECT_EQ(now.step, 0);  // a failed step is not climbed
  r.Serve("candidate", 10, 5);
  r.rollouts.Tick(t0 + 20000);
  now = *r.rollouts.Get("clf");
  EXPECT_EQ(now.state, RolloutState::kRolledBack);
  EXPECT_EQ(now.reason, "candidate error rate 50% > 10%");
  EXPECT_EQ(r.Weight("candidate"), 0u);
  EXPECT_EQ(r.Weight("stable"), 10000u);
}

TEST_F(RolloutControllerTest, ThinTrafficHoldsAndTheWindowGrows) {
  Routes r(db());
  ASSERT_TRUE(r.control.Put(Canary()).ok());
  ASSERT_TRUE(r.rollouts.Begin(Spec()).ok());
  const int64_t t0 = RolloutController::SteadyMs();
  r.Serve("candidate", 3);
  r.rollouts.Tick(t0 + 10000);
  EXPECT_EQ(r.rollouts.Get("clf")->last.verdict, Judgement::Verdict::kHold);
  EXPECT_EQ(r.rollouts.Get("clf")->step, 0);
  r.Serve("candidate", 3);  // 6 in the grown window: enough
  r.rollouts.Tick(t0 + 20000);
  EXPECT_EQ(r.rollouts.Get("clf")->last.verdict, Judgement::Verdict::kPass);
  EXPECT_EQ(r.rollouts.Get("clf")->step, 1);
}

TEST_F(RolloutControllerTest, DryRunReportsFailuresAndGoesOn) {
  Routes r(db());
  ASSERT_TRUE(r.control.Put(Canary()).ok());
  RolloutSpec spec = Spec();
  spec.dry_run = true;
  ASSERT_TRUE(r.rollouts.Begin(spec).ok());
  const int64_t t0 = RolloutController::SteadyMs();
  r.Serve("candidate", 10, 10);
  r.rollouts.Tick(t0 + 10000);
  const Rollout now = *r.rollouts.Get("clf");
  EXPECT_EQ(now.last.verdict, Judgement::Verdict::kFail);
  EXPECT_NE(now.last.detail.find("dry run"), std::string::npos);
  EXPECT_EQ(now.failures, 0u);
  EXPECT_EQ(now.step, 1);
}

TEST_F(RolloutControllerTest, PauseHoldsResumeGoesOnAbortReturnsToStable) {
  Routes r(db());
  ASSERT_TRUE(r.control.Put(Canary()).ok());
  ASSERT_TRUE(r.rollouts.Begin(Spec()).ok());
  const int64_t t0 = RolloutController::SteadyMs();
  ASSERT_TRUE(r.rollouts.Pause("clf").ok());
  r.Serve("candidate", 10);
  r.rollouts.Tick(t0 + 60000);
  EXPECT_EQ(r.rollouts.Get("clf")->state, RolloutState::kPaused);
  EXPECT_EQ(r.rollouts.Get("clf")->step, 0);
  EXPECT_EQ(r.Weight("candidate"), 1000u);      // paused where it was
  EXPECT_FALSE(r.rollouts.Begin(Spec()).ok());  // one at a time
  EXPECT_EQ(r.rollouts.Pause("clf").status().code(), StatusCode::kFailedPrecondition);
  auto resumed = r.rollouts.Resume("clf");
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->state, RolloutState::kProgressing);
  EXPECT_EQ(r.rollouts.Resume("clf").status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(r.rollouts.Abort("clf").ok());
  EXPECT_EQ(r.rollouts.Get("clf")->state, RolloutState::kAborted);
  EXPECT_EQ(r.Weight("candidate"), 0u);
  EXPECT_FALSE(r.rollouts.Abort("clf").ok());  // nothing in progress
  EXPECT_TRUE(r.rollouts.Begin(Spec()).ok());  // a new one may start
}

TEST_F(RolloutControllerTest, ARestartResumesAtTheSameStep) {
  {
    Routes r(db());
    ASSERT_TRUE(r.control.Put(Canary()).ok());
    ASSERT_TRUE(r.rollouts.Begin(Spec()).ok());
    const int64_t t0 = RolloutController::SteadyMs();
    r.Serve("candidate", 10);
    r.rollouts.Tick(t0 + 10000);
    ASSERT_EQ(r.rollouts.Get("clf")->step, 1);
  }
  Routes again(db());
  auto stored = again.control.Load();
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  ASSERT_EQ(stored->size(), 1u);
  again.rollouts.Restore(std::move(stored).value());
  const Rollout now = *again.rollouts.Get("clf");
  EXPECT_EQ(now.state, RolloutState::kProgressing);
  EXPECT_EQ(now.step, 1);
  EXPECT_EQ(now.last.verdict, Judgement::Verdict::kPass);
  EXPECT_EQ(again.Weight("candidate"), 5000u);
}

}  // namespace
}  // namespace inferd
