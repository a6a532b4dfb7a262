#include "core/lifecycle/repository_poller.h"

#include "observability/log.h"

namespace inferd {

void RepositoryPoller::Start() {
  // The manager has just loaded the repository: what it loaded from is the
  // last scan (no second pass over every file at start-up).
  seen_ = manager_->AppliedFingerprints();
  task_ = std::make_unique<PeriodicTask>(interval_, [this] { PollOnce(); });
}

void RepositoryPoller::Stop() {
  if (task_) task_->Stop();
}

void RepositoryPoller::PollOnce() {
  ScanOnce();
  if (after_each_poll_) after_each_poll_();
}

void RepositoryPoller::ScanOnce() {
  auto dirs = ScanRepository(manager_->root());
  if (!dirs.ok()) {
    // Keep serving what is loaded; the repository may come back.
    LogWarn("cannot poll the model repository", {{"reason", dirs.status().message()}});
    return;
  }
  const auto applied = manager_->AppliedFingerprints();
  std::map<std::string, uint64_t> now;
  for (const ModelDir& dir : *dirs) {
    const uint64_t fingerprint = dir.Fingerprint();
    now[dir.name] = fingerprint;
    auto seen = seen_.find(dir.name);
    if (seen == seen_.end() || seen->second != fingerprint) continue;  // still changing
    auto loaded = applied.find(dir.name);
    if (loaded != applied.end() && loaded->second == fingerprint) continue;  // up to date
    LogInfo("model changed in the repository", {{"model", dir.name}});
    const Status status = manager_->Load(dir.name);
    if (!status.ok()) LogWarn("model load failed", {{"reason", status.message()}});
  }
  // A model goes only when it is missing on two scans in a row, so a
  // directory swapped by two renames (m -> m.old, m.new -> m) is not dropped.
  std::set<std::string> absent;
  for (const auto& [name, fingerprint] : applied) {
    if (now.count(name)) continue;
    if (absent_.count(name)) {
      manager_->Remove(name);
    } else {
      absent.insert(name);
    }
  }
  absent_ = std::move(absent);
  seen_ = std::move(now);
}

}  // namespace inferd
