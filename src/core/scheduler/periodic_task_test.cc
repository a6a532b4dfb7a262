#include "core/scheduler/periodic_task.h"

#include <gtest/gtest.h>

#include <atomic>

namespace inferd {
namespace {

TEST(PeriodicTaskTest, RunsUntilStoppedAndStopsPromptly) {
  std::atomic<int> runs{0};
  PeriodicTask task(std::chrono::milliseconds(1), [&runs] { ++runs; });
  while (runs.load() < 3) std::this_thread::yield();
  task.Stop();
  const int after_stop = runs.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(runs.load(), after_stop);
}

TEST(PeriodicTaskTest, StopDoesNotWaitForTheInterval) {
  std::atomic<int> runs{0};
  auto start = std::chrono::steady_clock::now();
  {
    PeriodicTask task(std::chrono::hours(1), [&runs] { ++runs; });
  }
  EXPECT_EQ(runs.load(), 0);
  // Not a timing assertion on speed: an hour-long wait would hang the test.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(10));
}

}  // namespace
}  // namespace inferd
