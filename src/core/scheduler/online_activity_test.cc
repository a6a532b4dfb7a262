#include "core/scheduler/online_activity.h"

#include <gtest/gtest.h>

namespace inferd {
namespace {

using std::chrono::milliseconds;
using Clock = OnlineActivity::Clock;

TEST(OnlineActivityTest, NothingNotedIsNeverActive) {
  OnlineActivity activity;
  EXPECT_FALSE(activity.ActiveWithin(milliseconds(100), Clock::now()));
  EXPECT_FALSE(activity.ActiveWithin(milliseconds(100), Clock::time_point{}));
}

TEST(OnlineActivityTest, ActiveForTheWindowAfterANote) {
  OnlineActivity activity;
  const auto t0 = Clock::now();
  activity.Note(t0);
  EXPECT_TRUE(activity.ActiveWithin(milliseconds(100), t0));
  EXPECT_TRUE(activity.ActiveWithin(milliseconds(100), t0 + milliseconds(100)));
  EXPECT_FALSE(activity.ActiveWithin(milliseconds(100), t0 + milliseconds(101)));
}

TEST(OnlineActivityTest, NotesUnderAMillisecondApartKeepTheFirstLaterOnesMoveIt) {
  OnlineActivity activity;
  const auto t0 = Clock::now();
  activity.Note(t0);
  activity.Note(t0 + std::chrono::microseconds(500));  // skipped: under the resolution
  EXPECT_FALSE(activity.ActiveWithin(milliseconds(10),
                                     t0 + milliseconds(10) + std::chrono::microseconds(200)));
  activity.Note(t0 + milliseconds(5));
  EXPECT_TRUE(activity.ActiveWithin(milliseconds(10), t0 + milliseconds(15)));
  EXPECT_FALSE(activity.ActiveWithin(milliseconds(10), t0 + milliseconds(16)));
}

}  // namespace
}  // namespace inferd
