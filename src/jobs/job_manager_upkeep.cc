// JobManager's upkeep, run from its loop: finished jobs past their retention
// are removed with their files (Sweep), and with a store shared by replicas,
// the jobs other replicas submitted, cancelled or abandoned are picked up
// (Discover). The rest of the manager is in job_manager.cc.
#include <algorithm>
#include <set>

#include "jobs/job_manager.h"
#include "observability/log.h"

namespace inferd::jobs {
namespace {

// "30 s", "1.5 s".
std::string LeaseText(std::chrono::milliseconds lease) {
  std::string text = std::to_string(lease.count() / 1000);
  if (lease.count() % 1000 != 0) {
    std::string ms = std::to_string(1000 + lease.count() % 1000).substr(1);
    while (ms.back() == '0') ms.pop_back();
    text += "." + ms;
  }
  return text + " s";
}

}  // namespace

void JobManager::Sweep() {
  auto jobs = List();
  if (!jobs.ok()) return;
  const int64_t now = NowMs();
  const int64_t keep_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.retention).count();
  for (const JobRecord& job : *jobs) {
    if (!IsFinal(job.state) || job.finished_ms == 0 || job.finished_ms + keep_ms > now) continue;
    if (store_->DeleteJob(job.id).ok()) {
      std::error_code ec;
      std::filesystem::remove_all(JobDir(job.id), ec);
      LogInfo("job expired", {{"job", job.id}, {"state", JobStateName(job.state)}});
    }
  }
  if (!options_.shared_store) return;
  // Jobs another replica deleted or expired leave their folders here; an
  // hour's margin spares a submission between its folder and its record.
  std::set<std::string> known;
  for (const JobRecord& job : *jobs) known.insert(job.id);
  std::error_code ec;
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("job_") || known.count(name) > 0) continue;
    if (std::filesystem::last_write_time(entry.path(), ec) < old && !ec) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

void JobManager::StopHere(const std::string& id) {
  if (id == validating_) cancel_validation_ = true;  // stop reading its input
  if (auto flag = cancel_flags_.find(id); flag != cancel_flags_.end()) {
    flag->second->store(true);  // its requests still queued are dropped
  }
  again_.erase(id);  // chunks waiting to run again: they never will
  backoff_.erase(id);
}

void JobManager::Discover() {
  if (!HasStore()) return;
  auto jobs = store_->ListUnfinishedJobs();
  if (!jobs.ok()) return;
  // The validating jobs whose reader is gone. Not those read here: this
  // replica holds their leases (a job read, or to be read again, here is
  // checked again under mu_ below).
  std::set<std::string> here;
  {
    std::lock_guard lock(mu_);
    here.insert(to_validate_.begin(), to_validate_.end());
    if (!validating_.empty()) here.insert(validating_);
  }
  std::set<std::string> unread;
  for (const JobRecord& job : *jobs) {
    if (job.state != JobState::kValidating || here.count(job.id) > 0) continue;
    auto gone = store_->ReaderGone(job.id);
    if (gone.ok() && *gone) unread.insert(job.id);
  }
  std::lock_guard lock(mu_);
  // A reader key can be missing for a moment while its replica is alive:
  // after Redis was away past the lease every key has expired, and the
  // reader renews a third of a lease later. Only a reader missing at every
  // look for a whole lease is gone.
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, std::chrono::steady_clock::time_point> missing;
  for (const std::string& id : unread) {
    const auto seen = readers_missing_since_.find(id);
    missing[id] = seen == readers_missing_since_.end() ? now : seen->second;
  }
  readers_missing_since_ = missing;
  for (const JobRecord& job : *jobs) {
    const bool active = std::find(active_.begin(), active_.end(), job.id) != active_.end();
    switch (job.state) {
      case JobState::kCancelling:
        if (cancelling_.insert(job.id).second) StopHere(job.id);  // cancelled on another replica
        [[fallthrough]];
      case JobState::kQueued:
      case JobState::kInProgress:
      case JobState::kFinalizing:
        if (!active) active_.push_back(job.id);
        break;
      case JobState::kValidating: {
        // Validated where it was submitted, whose disk has the input; if
        // that replica stopped renewing its lease, nobody can.
        const bool read_here =
            job.id == validating_ ||
            std::find(to_validate_.begin(), to_validate_.end(), job.id) != to_validate_.end();
        if (unread.count(job.id) == 0 || read_here) break;
        if (now - missing[job.id] < options_.lease) break;
        readers_missing_since_.erase(job.id);
        JobRecord failed = job;
        SetState(failed, JobState::kFailed,
                 "the replica reading its input stopped before it finished (no word from it "
                 "for " +
                     LeaseText(options_.lease) +
                     "), and the input is on that replica's disk: submit the job again");
        break;
      }
      default:
        break;
    }
  }
  cv_.notify_all();
}

}  // namespace inferd::jobs
