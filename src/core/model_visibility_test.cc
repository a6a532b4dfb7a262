#include "core/model_visibility.h"

#include <gtest/gtest.h>

#include <thread>

namespace inferd {
namespace {

TEST(ModelVisibilityTest, ScopesNestAndStayOnTheirThread) {
  EXPECT_TRUE(ModelVisibleNow("a"));
  {
    ScopedModelVisibility only_a(
        std::make_shared<const ModelVisibility>([](std::string_view m) { return m == "a"; }));
    EXPECT_TRUE(ModelVisibleNow("a"));
    EXPECT_FALSE(ModelVisibleNow("b"));
    bool seen_elsewhere = false;
    std::thread([&] { seen_elsewhere = ModelVisibleNow("b"); }).join();
    EXPECT_TRUE(seen_elsewhere);  // another thread has no scope
    {
      ScopedModelVisibility none(
          std::make_shared<const ModelVisibility>([](std::string_view) { return false; }));
      EXPECT_FALSE(ModelVisibleNow("a"));
    }
    EXPECT_TRUE(ModelVisibleNow("a"));
  }
  EXPECT_TRUE(ModelVisibleNow("b"));
  EXPECT_EQ(CurrentModelVisibility(), nullptr);
}

}  // namespace
}  // namespace inferd
