#include "storage/sqlite_route_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace inferd {
namespace {

namespace fs = std::filesystem;

class SqliteRouteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("inferd_route_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path path() const { return dir_ / "routes.db"; }

  static Route Experiment() {
    Route route;
    route.name = "exp";
    route.key = RouteKey::Parse("query:user_id").value();
    route.salt = "s1";
    route.variants = {{"control", "logreg", "1", 90}, {"treatment", "logreg_b", "champion", 10}};
    route.shadow = {"treatment", 2500, 300};
    return route;
  }

  fs::path dir_;
};

TEST_F(SqliteRouteStoreTest, OpeningWithoutCreateFindsNothing) {
  auto store = SqliteRouteStore::Open(path(), false);
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(path()));
}

TEST_F(SqliteRouteStoreTest, RoutesAndRolloutsSurviveAReopen) {
  Rollout rollout;
  rollout.spec.route = "exp";
  rollout.spec.stable = "control";
  rollout.spec.candidate = "treatment";
  rollout.step = 2;
  {
    auto store = SqliteRouteStore::Open(path(), true);
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE((*store)->PutRoute(Experiment(), &rollout).ok());
  }
  auto store = SqliteRouteStore::Open(path(), false);
  ASSERT_TRUE(store.ok());
  auto routes = (*store)->LoadRoutes();
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0], Experiment());
  auto rollouts = (*store)->LoadRollouts();
  ASSERT_TRUE(rollouts.ok());
  ASSERT_EQ(rollouts->size(), 1u);
  EXPECT_EQ((*rollouts)[0].spec, rollout.spec);
  EXPECT_EQ((*rollouts)[0].step, 2);
}

TEST_F(SqliteRouteStoreTest, ReplacingARouteKeepsItsRolloutAndDeletingRemovesBoth) {
  auto store = SqliteRouteStore::Open(path(), true);
  ASSERT_TRUE(store.ok());
  Rollout rollout;
  rollout.spec.route = "exp";
  ASSERT_TRUE((*store)->PutRoute(Experiment(), &rollout).ok());
  Route changed = Experiment();
  changed.variants.pop_back();
  changed.shadow = {};
  ASSERT_TRUE((*store)->PutRoute(changed, nullptr).ok());
  EXPECT_EQ((*store)->LoadRoutes()->at(0), changed);
  EXPECT_EQ((*store)->LoadRollouts()->size(), 1u);
  ASSERT_TRUE((*store)->DeleteRoute("exp").ok());
  EXPECT_TRUE((*store)->LoadRoutes()->empty());
  EXPECT_TRUE((*store)->LoadRollouts()->empty());
  EXPECT_TRUE((*store)->DeleteRoute("exp").ok());
}

}  // namespace
}  // namespace inferd
