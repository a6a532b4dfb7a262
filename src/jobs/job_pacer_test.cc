#include "jobs/job_pacer.h"

#include <gtest/gtest.h>

namespace inferd::jobs {
namespace {

using std::chrono::milliseconds;
using Clock = JobPacer::Clock;

TEST(JobPacerTest, WithoutOnlineRequestsNothingWaits) {
  OnlineActivity online;
  JobPacer pacer(&online, 0.5);
  const auto t0 = Clock::now();
  pacer.Held(t0, t0 + milliseconds(500));
  EXPECT_EQ(pacer.WaitBefore(t0 + milliseconds(500)), Clock::duration::zero());
}

TEST(JobPacerTest, AShareOfOneOrNoActivityIsNotPaced) {
  OnlineActivity online;
  EXPECT_FALSE(JobPacer(&online, 1.0).enabled());
  EXPECT_FALSE(JobPacer(nullptr, 0.5).enabled());
  JobPacer unpaced(&online, 1.0);
  const auto t0 = Clock::now();
  online.Note(t0);
  unpaced.Held(t0, t0 + milliseconds(50));
  EXPECT_EQ(unpaced.WaitBefore(t0 + milliseconds(50)), Clock::duration::zero());
}

TEST(JobPacerTest, WhileOnlineRequestsArriveTimeHeldIsPaidBackAtTheShare) {
  OnlineActivity online;
  JobPacer pacer(&online, 0.25);
  const auto t0 = Clock::now();
  online.Note(t0);
  EXPECT_EQ(pacer.WaitBefore(t0), Clock::duration::zero());
  // 10 ms held from t0: at a quarter, 2.5 ms of it were allowed meanwhile and
  // a burst (2 ms) was saved up before, so 5.5 ms are owed, and paying them
  // back takes four times as long.
  pacer.Held(t0, t0 + milliseconds(10));
  EXPECT_EQ(pacer.WaitBefore(t0 + milliseconds(10)), milliseconds(22));
  online.Note(t0 + milliseconds(20));
  EXPECT_EQ(pacer.WaitBefore(t0 + milliseconds(20)), milliseconds(12));
  EXPECT_EQ(pacer.WaitBefore(t0 + milliseconds(32)), Clock::duration::zero());
}

TEST(JobPacerTest, AtMostABurstIsSavedUp) {
  OnlineActivity online;
  JobPacer pacer(&online, 0.5);
  const auto t0 = Clock::now();
  online.Note(t0);
  EXPECT_EQ(pacer.WaitBefore(t0), Clock::duration::zero());
  // 60 ms without work saves up only kBurst (2 ms): of 6 ms held, 3 ms are
  // paid meanwhile and 2 ms were saved, so 1 ms is owed: 2 ms at a half.
  online.Note(t0 + milliseconds(60));
  EXPECT_EQ(pacer.WaitBefore(t0 + milliseconds(60)), Clock::duration::zero());
  pacer.Held(t0 + milliseconds(60), t0 + milliseconds(66));
  EXPECT_EQ(pacer.WaitBefore(t0 + milliseconds(66)), milliseconds(2));
}

TEST(JobPacerTest, WhatIsOwedIsForgottenOnceOnlineTrafficStops) {
  OnlineActivity online;
  JobPacer pacer(&online, 0.1);
  const auto t0 = Clock::now();
  online.Note(t0);
  pacer.WaitBefore(t0);
  pacer.Held(t0, t0 + milliseconds(50));
  EXPECT_GT(pacer.WaitBefore(t0 + milliseconds(50)), milliseconds(400));
  const auto later = t0 + JobPacer::kOnlineWindow + milliseconds(1);
  EXPECT_EQ(pacer.WaitBefore(later), Clock::duration::zero());
  // Traffic again: a clean slate, not the debt from before.
  online.Note(later + milliseconds(1));
  EXPECT_EQ(pacer.WaitBefore(later + milliseconds(1)), Clock::duration::zero());
}

}  // namespace
}  // namespace inferd::jobs
