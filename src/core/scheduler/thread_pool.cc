#include "core/scheduler/thread_pool.h"

#include <algorithm>

#include "core/scheduler/thread_priority.h"

namespace inferd {

ThreadPool::ThreadPool(int threads, bool idle) {
  for (int i = 0; i < std::max(1, threads); ++i)
    threads_.emplace_back([this, idle] { Work(idle); });
}

ThreadPool::~ThreadPool() {
  Shutdown();
}

bool ThreadPool::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void ThreadPool::Shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

size_t ThreadPool::queued() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void ThreadPool::Work(bool idle) {
  if (idle) RunThisThreadWhenIdle("pool worker");
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace inferd
