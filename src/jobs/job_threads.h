// The jobs' own CPU: a pool of SCHED_IDLE threads where the answers' rows are
// written, and slots that the pool's tasks and the job manager's thread
// (reading inputs, claiming and recording chunks) take before they work, so
// that no more than `threads` of them are busy at once. On a loaded machine a
// job then occupies at most that many cores' idle time, and online requests
// find the others free (two idle-priority threads busy on two cores raise
// W1's p99 several times over, where one raises it by a fifth to a half:
// bench/RESULTS.md, W5job).
//
// Its slots are also the background budget of the jobs' inference requests
// (core/scheduler/background_budget.h): reading, inference and writing share
// them.
//
// While online requests arrive, the slots are paced (jobs/job_pacer.h).
//
// Ownership: owns its threads. Thread-safety: thread-safe; a slot (a
// BudgetUnit of it) must not be held by a thread that waits for a posted task
// or for background work.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <semaphore>

#include "core/scheduler/background_budget.h"
#include "core/scheduler/online_activity.h"
#include "core/scheduler/thread_pool.h"
#include "jobs/job_pacer.h"
#include "observability/metrics.h"

namespace inferd::jobs {

class JobThreads final : public BackgroundBudget {
 public:
  // `paced`: counts the seconds work waited for the pacing (not owned, may be
  // null; outlives this).
  explicit JobThreads(int threads, const OnlineActivity* online = nullptr,
                      double online_share = 1.0, Counter* paced = nullptr);

  // A slot, for the models' background threads while they run a job's batch.
  // While online requests arrive, it may wait for the pacing after the slot
  // is taken. A slot is released by the thread that took it, one at a time
  // per thread (the time held is kept per thread).
  void Acquire() override;
  void Release() override;

  // While stopping, nothing waits for the pacing (a server going down).
  void SetStopping(bool stopping);

  // Runs `task` on a pool thread, holding a slot; false (the task not run)
  // once the pool is shutting down.
  bool Post(std::function<void()> task);

 private:
  std::counting_semaphore<> slots_;
  JobPacer pacer_;
  Counter* const paced_;
  std::mutex wait_mu_;  // for the pacing's waits only
  std::condition_variable wait_cv_;
  bool stopping_ = false;  // under wait_mu_
  ThreadPool pool_;
};

}  // namespace inferd::jobs
