#include "jobs/job_threads.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace inferd::jobs {
namespace {

// When this thread took its slot (a thread holds one slot at a time).
thread_local JobPacer::Clock::time_point held_since;

}  // namespace

JobThreads::JobThreads(int threads, const OnlineActivity* online, double online_share,
                       Counter* paced)
    : slots_(std::max(1, threads)),
      pacer_(online, online_share),
      paced_(paced),
      pool_(std::max(1, threads), /*idle=*/true) {}

void JobThreads::Acquire() {
  slots_.acquire();
  if (pacer_.enabled()) {
    // Holding the slot while it waits: the others' work waits too.
    for (auto wait = pacer_.WaitBefore(JobPacer::Clock::now()); wait.count() > 0;
         wait = pacer_.WaitBefore(JobPacer::Clock::now())) {
      std::this_thread::sleep_for(wait);
      if (paced_ != nullptr) paced_->Increment(std::chrono::duration<double>(wait).count());
    }
  }
  held_since = JobPacer::Clock::now();
}

void JobThreads::Release() {
  pacer_.Held(held_since, JobPacer::Clock::now());
  slots_.release();
}

bool JobThreads::Post(std::function<void()> task) {
  return pool_.Submit([this, task = std::move(task)] {
    Slot slot(*this);
    task();
  });
}

}  // namespace inferd::jobs
