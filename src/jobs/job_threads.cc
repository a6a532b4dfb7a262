#include "jobs/job_threads.h"

#include <algorithm>
#include <utility>

namespace inferd::jobs {

JobThreads::JobThreads(int threads)
    : slots_(std::max(1, threads)), pool_(std::max(1, threads), /*idle=*/true) {}

bool JobThreads::Post(std::function<void()> task) {
  return pool_.Submit([this, task = std::move(task)] {
    Slot slot(*this);
    task();
  });
}

}  // namespace inferd::jobs
