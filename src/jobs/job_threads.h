// The jobs' own CPU: a pool of SCHED_IDLE threads where the answers' rows are
// written, and slots that the pool's tasks and the job manager's thread
// (reading inputs, claiming and recording chunks) take before they work, so
// that no more than `threads` of them are busy at once. On a loaded machine a
// job then occupies at most that many cores' idle time, and online requests
// find the others free (two idle-priority threads busy on two cores double
// W1's p99 where one raises it a tenth: bench/RESULTS.md, W5job).
//
// Its slots are also the background budget of the jobs' inference requests
// (core/scheduler/background_budget.h): reading, inference and writing share
// them.
//
// Ownership: owns its threads. Thread-safety: thread-safe; a Slot must not be
// held by a thread that waits for a posted task or for background work.
#pragma once

#include <functional>
#include <semaphore>

#include "core/scheduler/background_budget.h"
#include "core/scheduler/thread_pool.h"

namespace inferd::jobs {

class JobThreads final : public BackgroundBudget {
 public:
  explicit JobThreads(int threads);

  // A slot, for the models' background threads while they run a job's batch.
  void Acquire() override { slots_.acquire(); }
  void Release() override { slots_.release(); }

  // Runs `task` on a pool thread, holding a slot; false (the task not run)
  // once the pool is shutting down.
  bool Post(std::function<void()> task);

  // A slot held for as long as it lives.
  class Slot {
   public:
    explicit Slot(JobThreads& threads) : threads_(threads) { threads_.Acquire(); }
    ~Slot() { threads_.Release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    JobThreads& threads_;
  };

 private:
  std::counting_semaphore<> slots_;
  ThreadPool pool_;
};

}  // namespace inferd::jobs
