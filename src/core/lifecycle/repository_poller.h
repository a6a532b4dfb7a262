// Poll mode (--model-control-mode=poll): rescans the model repository every
// interval and brings the model manager in line with it: new models load,
// changed ones swap to their new files, removed ones drain and go.
//
// A model is acted on only when its files have not changed for one whole
// interval (same names, sizes and modification times on two scans in a row),
// so a version still being copied is never loaded half-written.
//
// Thread-safety: Start and Stop from one thread; PollOnce runs on the
// poller's own thread (or, in tests, on the caller's when not started).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/lifecycle/model_manager.h"
#include "core/scheduler/periodic_task.h"

namespace inferd {

class RepositoryPoller {
 public:
  // `after_each_poll` runs at the end of every poll, on the poller's thread
  // (the registry's check for changes other processes made).
  RepositoryPoller(ModelManager* manager, std::chrono::milliseconds interval,
                   std::function<void()> after_each_poll = {})
      : manager_(manager), interval_(interval), after_each_poll_(std::move(after_each_poll)) {}
  ~RepositoryPoller() { Stop(); }

  void Start();
  void Stop();
  void PollOnce();

 private:
  void ScanOnce();

  ModelManager* manager_;
  std::chrono::milliseconds interval_;
  std::function<void()> after_each_poll_;
  std::map<std::string, uint64_t> seen_;  // each model's fingerprint at the last scan
  std::set<std::string> absent_;          // loaded models missing from the last scan
  std::unique_ptr<PeriodicTask> task_;    // last: stopped first
};

}  // namespace inferd
