#include "jobs/job_manager.h"

#include <openssl/rand.h>

#include <algorithm>
#include <fstream>

#include "core/model_visibility.h"
#include "core/scheduler/thread_priority.h"
#include "jobs/job_results.h"
#include "jobs/job_rows.h"
#include "jobs/job_validator.h"
#include "observability/log.h"
#include "observability/request_scope.h"

namespace inferd::jobs {
namespace {

using Clock = std::chrono::steady_clock;

// Rows a chunk holds: enough for a few hundred rows per claim, in whole requests.
int64_t ChunkRows(int64_t per_request, int64_t cap) {
  if (per_request >= 256) return std::min(per_request, std::max<int64_t>(cap, 1));
  return per_request * ((256 + per_request - 1) / per_request);
}

StatusOr<std::string> NewJobId() {
  unsigned char raw[12];
  if (RAND_bytes(raw, sizeof raw) != 1) return Internal("no random bytes for a job id");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "job_";
  for (unsigned char c : raw) {
    id += kHex[c >> 4];
    id += kHex[c & 15];
  }
  return id;
}

Status NoSuchJob(std::string_view id) {
  return NotFound("job '" + std::string(id) + "' not found");
}

const std::vector<double> kChunkSecondsBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};

// Only a job that ended with rows to spare runs again.
bool Retryable(JobState state) {
  return state == JobState::kCompleted || state == JobState::kCancelled;
}

// Every state at 0: a state with no jobs is still exported.
std::map<std::string, int> NoJobsByState() {
  std::map<std::string, int> counts;
  for (int s = 0; s <= static_cast<int>(JobState::kCancelled); ++s) {
    counts[std::string(JobStateName(static_cast<JobState>(s)))] = 0;
  }
  return counts;
}

}  // namespace

JobManager::JobManager(ServerCore* core, StoreOpener opener, JobManagerOptions options,
                       MetricsRegistry* metrics)
    : core_(core),
      opener_(std::move(opener)),
      options_(std::move(options)),
      metrics_(metrics),
      // The jobs' own work (parsing, writing, the database) is background
      // work too, like their requests in the models' queues, and no wider
      // than the chunks they may run at once.
      threads_(std::make_shared<JobThreads>(
          std::max(1, options_.job_threads), options_.online_activity, options_.online_share,
          &metrics_->GetCounter("inferd_job_paced_seconds_total",
                                "Seconds batch jobs waited for online requests "
                                "(--jobs-online-share).",
                                {}))),
      runner_(core, threads_) {
  jobs_by_state_ = NoJobsByState();
  metrics_->AddCollector([this](MetricsRegistry& registry) {
    {
      std::lock_guard lock(counts_mu_);
      for (const auto& [state, count] : jobs_by_state_) {
        registry.GetGauge("inferd_jobs", "Batch jobs by state.", {{"state", state}})
            .Set(static_cast<double>(count));
      }
      registry
          .GetGauge("inferd_job_rows_waiting", "Rows of unfinished batch jobs not yet answered.",
                    {})
          .Set(static_cast<double>(rows_waiting_));
    }
    std::lock_guard lock(done_mu_);
    registry.GetGauge("inferd_job_chunks_running", "Batch job chunks running now.", {})
        .Set(static_cast<double>(running_total_));
  });
}

JobManager::~JobManager() {
  Stop();
}

void JobManager::CountJobs() {
  auto jobs = List();
  if (!jobs.ok()) return;  // the last counts stand
  std::map<std::string, int> by_state = NoJobsByState();
  int64_t waiting = 0;  // the queue's depth: rows of unfinished jobs not yet answered
  for (const JobRecord& job : *jobs) {
    ++by_state[std::string(JobStateName(job.state))];
    if (!IsFinal(job.state))
      waiting += std::max<int64_t>(0, job.total - job.completed - job.failed);
  }
  std::lock_guard lock(counts_mu_);
  jobs_by_state_ = std::move(by_state);
  rows_waiting_ = waiting;
}

int64_t JobManager::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::filesystem::path JobManager::InputPath(const JobRecord& job) const {
  return JobDir(job.id) /
         (std::string("input.") + std::string(JobFormatName(job.spec.input_format)));
}

std::filesystem::path JobManager::ResultsPath(const JobRecord& job) const {
  // Named by when the job finished, so that a file written before a retry is
  // never taken for the new results (replicas each keep their own copy).
  return JobDir(job.id) / ("results-" + std::to_string(job.finished_ms) + "." +
                           std::string(JobFormatName(job.spec.output_format)));
}

Status JobManager::Start() {
  {
    // Uploads a crash cut short; none is under way before the servers start.
    std::error_code ec;
    std::filesystem::remove_all(options_.dir / kUploadsFolder, ec);
  }
  auto opened = opener_(false);
  if (!opened.ok() && opened.status().code() != StatusCode::kNotFound) return opened.status();
  std::vector<JobRecord> jobs;
  if (opened.ok()) {
    std::lock_guard lock(store_mu_);
    store_ = std::move(opened).value();
    INFERD_ASSIGN_OR_RETURN(jobs, store_->ListJobs());
  }
  std::lock_guard lock(mu_);
  to_validate_.clear();  // a restart: the store says what still needs reading
  validation_retries_.clear();
  for (const JobRecord& job : jobs) {
    switch (job.state) {
      case JobState::kValidating: {
        // A shared store's job is validated where its input is.
        std::error_code ec;
        if (options_.shared_store &&
            !std::filesystem::exists(std::filesystem::symlink_status(InputPath(job), ec))) {
          continue;
        }
        // Not if another replica gave up on this one meanwhile (it failed the
        // job); Redis away for now is no reason not to read it.
        if (Status held = store_->HoldReading(job.id);
            held.code() == StatusCode::kFailedPrecondition ||
            held.code() == StatusCode::kNotFound) {
          continue;
        }
        to_validate_.push_back(job.id);
        break;
      }
      case JobState::kCancelling:
        cancelling_.insert(job.id);
        active_.push_back(job.id);
        break;
      case JobState::kQueued:
      case JobState::kInProgress:
      case JobState::kFinalizing:
        active_.push_back(job.id);
        break;
      default:
        break;
    }
    if (!IsFinal(job.state)) {
      LogInfo("job resumed", {{"job", job.id}, {"state", JobStateName(job.state)}});
    }
  }
  CountJobs();  // before the first scrape
  stopping_ = false;
  cancel_validation_ = false;
  threads_->SetStopping(false);
  {
    std::lock_guard calls_lock(calls_mu_);
    if (!calls_) calls_ = std::make_unique<ThreadPool>(2);
    calls_stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
  validator_ = std::thread([this] { ValidateLoop(); });
  return Status::Ok();
}

void JobManager::StopCalls() {
  std::unique_ptr<ThreadPool> calls;
  {
    std::lock_guard lock(calls_mu_);
    calls_stopping_ = true;
    calls = std::move(calls_);
  }
  if (calls) calls->Shutdown();  // the waiting ones answer at once (calls_stopping_)
}

void JobManager::Stop(std::chrono::milliseconds wait) {
  StopCalls();
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cancel_validation_ = true;
  threads_->SetStopping(true);  // no work waits out its pacing now
  cv_.notify_all();
  validate_cv_.notify_all();
  thread_.join();
  validator_.join();
  // What is still in flight records when it answers; wait for it here.
  {
    std::unique_lock lock(done_mu_);
    if (!done_cv_.wait_for(lock, wait, [this] { return running_total_ == 0; })) {
      LogWarn("job chunks still running at shutdown; waiting for them",
              {{"chunks", running_total_}});
      done_cv_.wait(lock, [this] { return running_total_ == 0; });
    }
  }
  CommitFinished();
  std::lock_guard lock(mu_);
  if (HasStore()) {
    for (const std::string& id : active_) store_->ReleaseClaims(id);
  }
}

StatusOr<JobRecord> JobManager::Submit(JobSubmission submission) {
  // An uploaded file the job does not take is removed, whatever the reason.
  struct Upload {
    const JobSubmission& submission;
    bool taken = false;
    ~Upload() {
      std::error_code ec;
      if (submission.owns_input_file && !taken) std::filesystem::remove(submission.input_file, ec);
    }
  } upload{submission};
  JobSpec& spec = submission.spec;
  if (spec.model.empty()) return InvalidArgument("a job needs a model (or a route)");
  {
    std::lock_guard lock(store_mu_);
    if (!store_) {
      INFERD_ASSIGN_OR_RETURN(store_, opener_(true));
    }
  }
  INFERD_ASSIGN_OR_RETURN(ModelHandle model, core_->GetModel(spec.model, spec.version));
  JobRecord job;
  INFERD_ASSIGN_OR_RETURN(job.id, NewJobId());
  job.spec = spec;
  job.state = JobState::kValidating;
  job.created_ms = NowMs();
  job.chunk_rows =
      ChunkRows(RowsPerRequest(*model, options_.max_chunk_rows), options_.max_chunk_rows);
  std::error_code ec;
  const std::filesystem::path dir = JobDir(job.id);
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot make the job's folder: " + ec.message());
  const std::filesystem::path input = InputPath(job);
  auto fail = [&](Status s) {
    std::filesystem::remove_all(dir, ec);
    return s;
  };
  if (submission.rows) {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    out << *submission.rows;
    if (!out.flush()) return fail(Unavailable("cannot write the job's input"));
  } else if (submission.owns_input_file) {
    std::filesystem::rename(submission.input_file, input, ec);
    if (ec) return fail(Unavailable("cannot keep the uploaded input: " + ec.message()));
    upload.taken = true;  // the job's folder has it now
  } else {
    // A path under the input folder, read where it is.
    if (options_.input_dir.empty()) {
      return fail(PermissionDenied("input paths are off: start the server with --jobs-input-dir"));
    }
    const auto root = std::filesystem::weakly_canonical(options_.input_dir, ec);
    if (ec || root.empty()) {
      return fail(Unavailable("cannot resolve the jobs input folder: " + ec.message()));
    }
    const auto path = std::filesystem::weakly_canonical(
        submission.input_file.is_absolute() ? submission.input_file
                                            : options_.input_dir / submission.input_file,
        ec);
    const auto [end, _] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    if (ec || end != root.end()) {
      return fail(PermissionDenied("input path '" + submission.input_file.string() +
                                   "' is not under the jobs input folder"));
    }
    if (!std::filesystem::is_regular_file(path, ec)) {
      return fail(NotFound("input file '" + submission.input_file.string() + "' not found"));
    }
    std::filesystem::create_symlink(path, input, ec);
    if (ec) return fail(Unavailable("cannot link the job's input: " + ec.message()));
  }
  const auto size = std::filesystem::file_size(input, ec);
  if (!ec && size > options_.max_input_bytes) {
    return fail(Status(StatusCode::kResourceExhausted,
                       "the input is " + std::to_string(size) + " bytes; jobs take at most " +
                           std::to_string(options_.max_input_bytes)));
  }
  if (Status s = store_->CreateJob(job); !s.ok()) return fail(s);
  counts_stale_ = true;
  LogInfo("job submitted", {{"job", job.id}, {"model", spec.model}, {"bytes", size}});
  {
    std::lock_guard lock(mu_);
    to_validate_.push_back(job.id);
  }
  validate_cv_.notify_one();
  return job;
}

void JobManager::RunCall(std::function<void(Status)> work) {
  auto call = [this, work, visibility = CurrentModelVisibility(), request = CurrentRequest()] {
    if (calls_stopping_.load()) return work(Unavailable("the server is shutting down"));
    ScopedModelVisibility scope(visibility);
    ScopedRequest logged_as(request);
    work(Status::Ok());
  };
  Status refused = Status::Ok();
  {
    std::lock_guard lock(calls_mu_);
    if (!calls_ || calls_stopping_.load()) {
      refused = Unavailable("the server is shutting down");
    } else if (calls_->queued() >= kMaxWaitingCalls) {
      refused = Unavailable("too many job API calls are waiting: try again shortly");
    } else if (!calls_->Submit(std::move(call))) {
      refused = Unavailable("the server is shutting down");
    }
  }
  if (!refused.ok()) work(refused);  // not under calls_mu_: it answers the client
}

StatusOr<JobRecord> JobManager::Get(std::string_view id) {
  if (!HasStore()) return NoSuchJob(id);
  INFERD_ASSIGN_OR_RETURN(std::optional<JobRecord> job, store_->GetJob(id));
  if (!job) return NoSuchJob(id);
  return *job;
}

StatusOr<std::vector<JobRecord>> JobManager::List() {
  if (!HasStore()) return std::vector<JobRecord>{};
  return store_->ListJobs();
}

bool JobManager::HasStore() {
  std::lock_guard lock(store_mu_);
  return store_ != nullptr;
}

bool JobManager::SetState(JobRecord& job, JobState state, std::string error) {
  const JobState from = job.state;
  job.state = state;
  if (!error.empty()) job.error = std::move(error);
  if (state == JobState::kInProgress && job.started_ms == 0) job.started_ms = NowMs();
  if (IsFinal(state) && job.finished_ms == 0) job.finished_ms = NowMs();
  if (Status s = store_->UpdateJob(job, from); !s.ok()) {
    // FAILED_PRECONDITION: moved meanwhile (a cancel, another replica): theirs stands.
    if (s.code() == StatusCode::kFailedPrecondition) {
      LogInfo("job state not moved", {{"job", job.id}, {"reason", s.message()}});
      return true;
    }
    LogError("cannot record a job's state", {{"job", job.id}, {"reason", s.message()}});
    return false;
  }
  counts_stale_ = true;
  LogInfo("job state", {{"job", job.id},
                        {"state", JobStateName(state)},
                        {"completed", job.completed},
                        {"failed", job.failed},
                        {"error", job.error}});
  return true;
}

StatusOr<JobRecord> JobManager::Cancel(std::string_view id) {
  std::lock_guard lock(mu_);
  INFERD_ASSIGN_OR_RETURN(JobRecord job, Get(id));
  if (IsFinal(job.state)) {
    return FailedPrecondition("job '" + job.id + "' is " + std::string(JobStateName(job.state)) +
                              ": there is nothing to cancel");
  }
  if (job.state != JobState::kCancelling) SetState(job, JobState::kCancelling);
  cancelling_.insert(job.id);
  StopHere(job.id);
  if (std::find(active_.begin(), active_.end(), job.id) == active_.end()) {
    active_.push_back(job.id);  // a validating job ends there
  }
  cv_.notify_all();
  return job;
}

Status JobManager::CheckInputUnchanged(const JobRecord& job) const {
  if (options_.shared_store) return Status::Ok();  // a shared store keeps the rows
  std::ifstream kept(InputDigestPath(job));
  uint64_t validated = 0;
  if (!(kept >> std::hex >> validated)) return Status::Ok();  // none kept (an older job)
  auto now = InputFileDigest(InputPath(job));
  if (!now.ok() || *now != validated) {
    return FailedPrecondition("job '" + job.id +
                              "': its input file changed since it was validated, and a retry "
                              "needs the rows it had");
  }
  return Status::Ok();
}

StatusOr<JobRecord> JobManager::Retry(std::string_view id) {
  {
    // The whole input is read again: before the lock, which the jobs' loop
    // and every other call wait for.
    INFERD_ASSIGN_OR_RETURN(JobRecord job, Get(id));
    if (Retryable(job.state)) INFERD_RETURN_IF_ERROR(CheckInputUnchanged(job));
  }
  std::lock_guard lock(mu_);
  INFERD_ASSIGN_OR_RETURN(JobRecord job, Get(id));
  if (!Retryable(job.state)) {
    return FailedPrecondition("job '" + job.id + "' is " + std::string(JobStateName(job.state)) +
                              ": only a completed or cancelled job can be retried");
  }
  if (job.total == 0 && job.state == JobState::kCancelled) {
    // Its input was never all read: what chunks there are cover part of it.
    return FailedPrecondition("job '" + job.id +
                              "' was cancelled before its input was validated: submit it again");
  }
  INFERD_ASSIGN_OR_RETURN(int64_t pending, store_->PendingChunks(job.id));
  if (job.failed == 0 && pending == 0) {
    return FailedPrecondition("job '" + job.id + "' has no failed rows to retry");
  }
  const std::filesystem::path old_results = ResultsPath(job);
  // Queued first: a crash before the rows are requeued leaves a job that
  // completes again as it was, never a completed job with rows to run.
  job.finished_ms = 0;
  job.error.clear();
  SetState(job, JobState::kQueued);
  INFERD_RETURN_IF_ERROR(store_->RequeueFailedRows(job.id).status());
  INFERD_ASSIGN_OR_RETURN(job, Get(id));
  std::error_code ec;
  std::filesystem::remove(old_results, ec);
  active_.push_back(job.id);
  cv_.notify_all();
  return job;
}

Status JobManager::Delete(std::string_view id) {
  std::lock_guard lock(mu_);
  INFERD_ASSIGN_OR_RETURN(JobRecord job, Get(id));
  if (!IsFinal(job.state)) {
    return FailedPrecondition("job '" + job.id + "' is " + std::string(JobStateName(job.state)) +
                              ": cancel it before deleting it");
  }
  INFERD_RETURN_IF_ERROR(store_->DeleteJob(job.id));
  std::error_code ec;
  std::filesystem::remove_all(JobDir(job.id), ec);
  LogInfo("job deleted", {{"job", job.id}});
  counts_stale_ = true;
  return Status::Ok();
}

StatusOr<std::filesystem::path> JobManager::ResultsFile(std::string_view id) {
  INFERD_ASSIGN_OR_RETURN(JobRecord job, Get(id));
  if (job.state == JobState::kFailed) {
    return FailedPrecondition("job '" + job.id + "' failed: " + job.error);
  }
  if (!IsFinal(job.state)) {
    return FailedPrecondition("job '" + job.id + "' is " + std::string(JobStateName(job.state)) +
                              ": its results are ready once it is completed or cancelled");
  }
  const std::filesystem::path path = ResultsPath(job);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  // Finished on another replica (or the file was lost): written here, now.
  std::lock_guard lock(results_mu_);
  if (std::filesystem::exists(path, ec)) return path;
  std::filesystem::create_directories(JobDir(job.id), ec);
  for (const auto& entry : std::filesystem::directory_iterator(JobDir(job.id), ec)) {
    if (entry.path().filename().string().starts_with("results-")) {
      std::filesystem::remove(entry.path(), ec);  // an earlier finish's, or a partial write
    }
  }
  INFERD_RETURN_IF_ERROR(WriteResultsFile(*store_, job, path));
  return path;
}

void JobManager::Loop() {
  RunThisThreadWhenIdle("jobs");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.commit_interval);
    if (stopping_) break;
    lock.unlock();
    // Recording waits on the disk (fdatasync) more than it works: without a
    // slot, so the chunks' answers are written meanwhile.
    CommitFinished();
    {
      const BudgetUnit slot(threads_.get());
      Dispatch();
      FinishJobs();
      if (Clock::now() >= next_sweep_) {
        // Often enough for a short retention, at most once a minute.
        next_sweep_ = Clock::now() + std::clamp<Clock::duration>(options_.retention / 4,
                                                                 std::chrono::seconds(1),
                                                                 std::chrono::seconds(60));
        Sweep();
      }
      if (options_.shared_store && Clock::now() >= next_discover_) {
        next_discover_ = Clock::now() + options_.discover_interval;
        Discover();
      }
    }
    // Soon after a job moved (at most 4 times a second), and every few
    // seconds for the other replicas' jobs; a read of the store, so outside
    // the slot like the commits.
    const auto now = Clock::now();
    if ((counts_stale_ && now >= counted_at_ + std::chrono::milliseconds(250)) ||
        now >= counted_at_ + std::chrono::seconds(5)) {
      counts_stale_ = false;
      counted_at_ = now;
      CountJobs();
    }
    lock.lock();
  }
}

void JobManager::Dispatch() {
  struct Start {
    JobSpec spec;
    JobChunk chunk;
    std::shared_ptr<std::atomic<bool>> cancelled;
  };
  std::vector<Start> start;
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    for (const std::string& id : active_) {
      if (stopping_) break;
      if (cancelling_.count(id) > 0 || failing_.count(id) > 0) continue;
      if (auto b = backoff_.find(id); b != backoff_.end() && b->second > now) continue;
      auto job = Get(id);
      if (!job.ok()) continue;
      if (IsFinal(job->state) || job->state == JobState::kCancelling) {
        // Stopped on another replica since: no more of its chunks run here.
        if (job->state == JobState::kCancelling) cancelling_.insert(id);
        StopHere(id);
        continue;
      }
      while (true) {
        {
          std::lock_guard done(done_mu_);
          if (running_total_ >= options_.max_running_chunks ||
              running_[id] >= options_.max_job_chunks) {
            break;
          }
        }
        JobChunk chunk;
        if (auto& again = again_[id]; !again.empty()) {
          chunk = std::move(again.back());
          again.pop_back();
        } else {
          auto claimed = store_->ClaimChunks(id, 1, options_.lease);
          if (!claimed.ok()) {
            LogError("cannot claim a job's chunk",
                     {{"job", id}, {"reason", claimed.status().message()}});
            break;
          }
          if (claimed->empty()) break;
          chunk = std::move(claimed->front());
          // A store on this machine gives the rows' place in the input.
          if (Status read = LoadChunkText(job->spec.input_format, InputPath(*job), chunk);
              !read.ok()) {
            LogError("cannot read a job's chunk", {{"job", id}, {"reason", read.message()}});
            failing_.emplace(id, read.message());
            break;
          }
        }
        if (job->state == JobState::kQueued) SetState(*job, JobState::kInProgress);
        {
          std::lock_guard done(done_mu_);
          ++running_[id];
          ++running_total_;
        }
        auto& flag = cancel_flags_[id];
        if (!flag) flag = std::make_shared<std::atomic<bool>>(false);
        start.push_back({job->spec, std::move(chunk), flag});
      }
    }
  }
  for (Start& s : start) {
    const auto started = Clock::now();
    JobChunk kept = s.chunk;  // to run again if it cannot be recorded now
    runner_.Run(
        s.spec, std::move(s.chunk), std::move(s.cancelled),
        [this, started, kept = std::move(kept)](StatusOr<JobChunkResult> result) mutable {
          // On a model's thread: only done_mu_, never mu_.
          {
            std::lock_guard lock(done_mu_);
            const std::string id = kept.job_id;
            finished_.push_back({id, std::move(kept), std::move(result),
                                 std::chrono::duration<double>(Clock::now() - started).count()});
            --running_[id];
            --running_total_;
          }
          done_cv_.notify_all();
          cv_.notify_all();
        });
  }
}

void JobManager::CountRows(const JobChunkResult& result) {
  metrics_
      ->GetCounter("inferd_job_rows_total", "Batch job rows recorded, by outcome.",
                   {{"outcome", "completed"}})
      .Increment(static_cast<double>(result.completed));
  metrics_
      ->GetCounter("inferd_job_rows_total", "Batch job rows recorded, by outcome.",
                   {{"outcome", "failed"}})
      .Increment(static_cast<double>(result.failed));
}

void JobManager::CommitFinished() {
  std::lock_guard lock(mu_);
  std::vector<Finished> finished;
  {
    std::lock_guard done(done_mu_);
    finished.swap(finished_);
  }
  if (finished.empty() || !HasStore()) return;
  std::vector<JobChunkResult> results;
  for (Finished& f : finished) {
    metrics_
        ->GetHistogram("inferd_job_chunk_duration_seconds", "Time to run one batch job chunk.", {},
                       kChunkSecondsBounds)
        .Observe(f.seconds);
    if (f.result.ok()) {
      unavailable_.erase(f.job_id);
      results.push_back(*f.result);
      continue;
    }
    const Status& why = f.result.status();
    if (cancelling_.count(f.job_id) > 0) continue;  // stopped on purpose
    if (why.code() != StatusCode::kUnavailable) {
      // Not the rows' fault and not passing (the model is gone): the job fails.
      failing_.emplace(f.job_id, why.message());
      continue;
    }
    if (++unavailable_[f.job_id] > options_.max_unavailable_retries) {
      failing_.emplace(f.job_id, "the model stayed unavailable: " + why.message());
      continue;
    }
    LogWarn("job chunk not run; it runs again",
            {{"job", f.job_id}, {"chunk", f.chunk.index}, {"reason", why.message()}});
    again_[f.job_id].push_back(std::move(f.chunk));
    backoff_[f.job_id] = Clock::now() + std::chrono::seconds(1);
  }
  if (results.empty()) return;
  if (Status s = store_->CompleteChunks(results); !s.ok()) {
    LogError("cannot record job chunks; they run again", {{"reason", s.message()}});
    for (Finished& f : finished) {
      if (f.result.ok()) again_[f.job_id].push_back(std::move(f.chunk));
    }
    return;
  }
  for (const JobChunkResult& r : results) CountRows(r);
  if (!results.empty()) counts_stale_ = true;  // the rows waiting
}

bool JobManager::Idle(const std::string& id) {
  // Its input still being read: cancelled, it ends once the validator stops.
  if (id == validating_) return false;
  if (auto again = again_.find(id); again != again_.end() && !again->second.empty()) return false;
  std::lock_guard done(done_mu_);
  if (auto r = running_.find(id); r != running_.end() && r->second > 0) return false;
  // A chunk that answered but is not recorded yet belongs in the results.
  return std::none_of(finished_.begin(), finished_.end(),
                      [&id](const Finished& f) { return f.job_id == id; });
}

void JobManager::Forget(const std::string& id) {
  active_.erase(std::remove(active_.begin(), active_.end(), id), active_.end());
  cancelling_.erase(id);
  again_.erase(id);
  backoff_.erase(id);
  unavailable_.erase(id);
  failing_.erase(id);
  cancel_flags_.erase(id);
  {
    std::lock_guard done(done_mu_);
    running_.erase(id);
  }
  store_->ReleaseClaims(id);
}

void JobManager::FinishJobs() {
  // Under mu_ throughout: a Cancel or Retry sees the job before or after,
  // never between its last state and the bookkeeping.
  std::lock_guard lock(mu_);
  std::vector<std::string> ids = active_;
  for (const std::string& id : ids) {
    if (!Idle(id)) continue;
    auto job = Get(id);
    if (!job.ok() || IsFinal(job->state)) {  // gone, or ended by another replica
      Forget(id);
      continue;
    }
    if (auto failing = failing_.find(id); failing != failing_.end()) {
      SetState(*job, JobState::kFailed, failing->second);
    } else if (cancelling_.count(id) > 0) {
      Finalize(std::move(job).value(), JobState::kCancelled);
    } else {
      auto pending = store_->PendingChunks(id);
      if (!pending.ok() || *pending > 0 || job->state == JobState::kValidating) continue;
      Finalize(std::move(job).value(), JobState::kCompleted);
    }
    Forget(id);
  }
}

void JobManager::Finalize(JobRecord job, JobState final_state) {
  if (final_state == JobState::kCompleted) SetState(job, JobState::kFinalizing);
  const int64_t finished_ms = NowMs();  // names the results file
  JobRecord ended = job;
  ended.finished_ms = finished_ms;
  Status written = WriteResultsFile(*store_, ended, ResultsPath(ended));
  auto latest = Get(job.id);  // the counts the last chunks left
  if (latest.ok()) job = std::move(latest).value();
  if (!written.ok()) {
    SetState(job, JobState::kFailed, "cannot write the results: " + written.message());
    return;
  }
  job.finished_ms = finished_ms;
  SetState(job, final_state, final_state == JobState::kCancelled ? "cancelled on request" : "");
}

}  // namespace inferd::jobs
