#include "core/scheduler/periodic_task.h"

namespace inferd {

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task)
    : thread_([this, interval, task = std::move(task)] {
        std::unique_lock lock(mu_);
        while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
          lock.unlock();
          task();
          lock.lock();
        }
      }) {}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace inferd
