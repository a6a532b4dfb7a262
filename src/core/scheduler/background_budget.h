// How much of the machine background work (batch jobs) may use at once. A
// background request names its budget; the model's background thread holds
// one unit of it while it runs the request's batch, as the jobs' own threads
// do while they read rows and write results, so that a job's reading,
// inference and writing together keep at most that many cores busy (two
// idle-priority threads busy on two cores raise online p99 several times
// over, where one raises it by a fifth to a half: bench/RESULTS.md, W5job).
// Implemented outside the core (jobs/job_threads.h).
//
// Thread-safety: implementations are thread-safe. Acquire may block; a
// thread holding a unit must not wait for background work to run. A unit is
// released by the thread that acquired it, which holds one at a time.
#pragma once

namespace inferd {

class BackgroundBudget {
 public:
  virtual ~BackgroundBudget() = default;
  virtual void Acquire() = 0;
  virtual void Release() = 0;
};

// One unit of `budget` held for as long as it lives; none when it is null.
class BudgetUnit {
 public:
  explicit BudgetUnit(BackgroundBudget* budget) : budget_(budget) {
    if (budget_ != nullptr) budget_->Acquire();
  }
  ~BudgetUnit() {
    if (budget_ != nullptr) budget_->Release();
  }
  BudgetUnit(const BudgetUnit&) = delete;
  BudgetUnit& operator=(const BudgetUnit&) = delete;

 private:
  BackgroundBudget* const budget_;
};

}  // namespace inferd
