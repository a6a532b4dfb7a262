#include "jobs/job_threads.h"

#include <algorithm>
#include <utility>

namespace inferd::jobs {
namespace {

// When this thread took its slot: a unit is released by the thread that took
// it, one at a time (core/scheduler/background_budget.h).
thread_local JobPacer::Clock::time_point held_since;

}  // namespace

JobThreads::JobThreads(int threads, const OnlineActivity* online, double online_share,
                       Counter* paced)
    : slots_(std::max(1, threads)),
      pacer_(online, online_share),
      paced_(paced),
      pool_(std::max(1, threads), /*idle=*/true) {}

void JobThreads::SetStopping(bool stopping) {
  {
    std::lock_guard lock(wait_mu_);
    stopping_ = stopping;
  }
  wait_cv_.notify_all();
}

void JobThreads::Acquire() {
  slots_.acquire();
  if (!pacer_.enabled()) return;
  // Holding the slot while it waits, so the others' work waits too; a pass
  // at most kOnlineWindow long, so that the end of online traffic (the debt
  // forgotten) or a stop ends the wait soon.
  std::unique_lock lock(wait_mu_);
  for (auto now = JobPacer::Clock::now(); !stopping_; now = JobPacer::Clock::now()) {
    const auto wait =
        std::min<JobPacer::Clock::duration>(pacer_.WaitBefore(now), JobPacer::kOnlineWindow);
    if (wait <= JobPacer::Clock::duration::zero()) break;
    wait_cv_.wait_for(lock, wait, [this] { return stopping_; });
    if (paced_ != nullptr) {
      paced_->Increment(std::chrono::duration<double>(JobPacer::Clock::now() - now).count());
    }
  }
  held_since = JobPacer::Clock::now();
}

void JobThreads::Release() {
  if (pacer_.enabled()) pacer_.Held(held_since, JobPacer::Clock::now());
  slots_.release();
}

bool JobThreads::Post(std::function<void()> task) {
  return pool_.Submit([this, task = std::move(task)] {
    const BudgetUnit slot(this);
    task();
  });
}

}  // namespace inferd::jobs
