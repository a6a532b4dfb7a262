// JobManager's validator thread: it reads the inputs of submitted jobs into
// chunks in the store, one job at a time, holding one of the jobs' slots a
// block at a time; a read the store or the model cut short is tried again
// later, and with a shared store the reader's lease is given back once the
// job has left validating. The rest of the manager is in job_manager.cc.
#include <fstream>

#include "core/scheduler/thread_priority.h"
#include "jobs/job_manager.h"
#include "jobs/job_validator.h"
#include "observability/log.h"

namespace inferd::jobs {

using Clock = std::chrono::steady_clock;

void JobManager::ValidateLoop() {
  RunThisThreadWhenIdle("job validation");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // The first job not waiting to be read again, else the time one may.
    const auto now = Clock::now();
    auto next = to_validate_.begin();
    Clock::time_point soonest = Clock::time_point::max();
    for (; next != to_validate_.end(); ++next) {
      const auto retry = validation_retries_.find(*next);
      if (retry == validation_retries_.end() || retry->second.at <= now) break;
      soonest = std::min(soonest, retry->second.at);
    }
    if (next == to_validate_.end()) {
      validate_cv_.wait_until(lock, soonest);
      continue;
    }
    const std::string id = *next;
    to_validate_.erase(next);
    bool settled = true;
    if (cancelling_.count(id) == 0) {  // else cancelled while it waited: never read
      validating_ = id;
      cancel_validation_ = false;
      lock.unlock();
      settled = Validate(id);  // holding a slot block by block
      lock.lock();
      validating_.clear();
    }
    // Not at shutdown: the job is read again at the next start, and other
    // replicas wait a lease for that.
    if (stopping_) break;
    if (settled) {
      validation_retries_.erase(id);
      lock.unlock();
      store_->ReleaseReading(id);
      lock.lock();
      continue;
    }
    // Still validating (the store or the model unavailable): read it again
    // in a while, holding the lease meanwhile.
    ValidationRetry& retry = validation_retries_[id];
    ++retry.attempts;
    const auto pause = std::chrono::seconds(std::min(30, 1 << std::min(retry.attempts - 1, 5)));
    retry.at = Clock::now() + pause;
    LogWarn("job input to be read again",
            {{"job", id}, {"attempt", retry.attempts}, {"in_seconds", pause.count()}});
    to_validate_.push_back(id);
  }
}

bool JobManager::Validate(const std::string& id) {
  auto found = Get(id);
  if (!found.ok()) return found.status().code() == StatusCode::kNotFound;  // gone: settled
  JobRecord job = std::move(found).value();
  // Cancelled (here or elsewhere) or failed while it waited to be read again:
  // its input is never read.
  if (job.state != JobState::kValidating) return true;
  auto model = core_->GetModel(job.spec.model, job.spec.version);
  StatusOr<ValidatedInput> validated =
      model.ok() ? ValidateInput(job, (*model)->signature, InputPath(job), *store_,
                                 cancel_validation_, threads_.get())
                 : StatusOr<ValidatedInput>(model.status());
  std::lock_guard lock(mu_);
  if (stopping_) return false;  // validated again at the next start
  auto current = Get(id);
  if (!current.ok()) return current.status().code() == StatusCode::kNotFound;
  // Cancelled meanwhile: FinishJobs ends it (and it must not run).
  if (cancelling_.count(id) > 0 || current->state != JobState::kValidating) return true;
  if (!validated.ok()) {
    if (validated.status().code() == StatusCode::kUnavailable) return false;  // for now
    return SetState(job, JobState::kFailed, validated.status().message());
  }
  if (!options_.shared_store) {
    std::ofstream kept(InputDigestPath(job), std::ios::trunc);
    kept << std::hex << validated->file_digest << '\n';  // lost: a retry goes unchecked
  }
  if (Status s = store_->MarkValidated(id, validated->rows, validated->chunks, job.chunk_rows);
      !s.ok()) {
    // Not validating any more: cancelled on another replica, which ends it.
    if (s.code() == StatusCode::kFailedPrecondition) return true;
    if (s.code() == StatusCode::kUnavailable) return false;
    return SetState(job, JobState::kFailed, s.message());
  }
  LogInfo(
      "job state",
      {{"job", id}, {"state", "queued"}, {"rows", validated->rows}, {"chunks", validated->chunks}});
  active_.push_back(id);
  counts_stale_ = true;
  return true;
}

}  // namespace inferd::jobs
