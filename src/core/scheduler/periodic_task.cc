#include "core/scheduler/periodic_task.h"

namespace inferd {

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task)
    : thread_([shared = shared_, interval, task = std::move(task)] {
        std::unique_lock lock(shared->mu);
        while (!shared->wake.wait_for(lock, interval, [&] { return shared->stopping; })) {
          lock.unlock();
          task();
          lock.lock();
        }
      }) {}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopping = true;
  }
  shared_->wake.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

}  // namespace inferd
