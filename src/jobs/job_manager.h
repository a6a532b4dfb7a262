// Batch jobs on the core: the JobService the APIs call, and the thread that
// moves jobs along. Submitted jobs are validated (their input cut into
// chunks in the job store), their chunks claimed and run by ChunkRunner below
// every online request, at most `max_running_chunks` at once server-wide and
// `max_job_chunks` per job, and the finished chunks recorded in batches (each
// chunk's results and its done mark in one transaction). A job with every
// chunk done gets its results file and is completed. At start, jobs resume
// where the store left them: validation again, chunks not done run again.
//
// Ownership: owns the store and its threads (the loop, the validator that
// reads submitted inputs, and two for the API's calls, from Start to Stop);
// borrows the core and the metrics registry, which must outlive it.
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/jobs/job_service.h"
#include "core/jobs/job_store.h"
#include "core/scheduler/online_activity.h"
#include "core/scheduler/thread_pool.h"
#include "core/server_core.h"
#include "jobs/chunk_runner.h"
#include "observability/metrics.h"

namespace inferd::jobs {

struct JobManagerOptions {
  std::filesystem::path dir;        // uploads and results, a folder per job
  std::filesystem::path input_dir;  // where input paths may point; empty: none may
  // Threads the jobs' own work (reading rows, writing results, recording
  // chunks) keeps busy at once, at idle priority.
  int job_threads = 1;
  // While online requests arrive (`online_activity`, not owned, may be null),
  // the share of the time those threads may be busy, all together
  // (jobs/job_pacer.h).
  const OnlineActivity* online_activity = nullptr;
  double online_share = 1.0;
  // Chunks in flight, server-wide and per job: more than job_threads, so
  // that a chunk is read while the one before runs on the model.
  int max_running_chunks = 2;
  int max_job_chunks = 2;
  int64_t max_chunk_rows = 1024;
  uint64_t max_input_bytes = 1ull << 30;
  std::chrono::seconds retention{7 * 24 * 3600};  // after a job is final
  // How long a claim holds a chunk. This process's own claims live in memory
  // and end with it; a store shared by replicas needs a lease they renew.
  std::chrono::milliseconds lease{24 * 3600 * 1000};
  // The store is shared by replicas (Redis): jobs other replicas submitted,
  // cancelled or finished are picked up every `discover_interval`, a job
  // whose input's reader went silent past the lease is failed (the input is
  // on that replica's disk), and a results file is written where it is
  // asked for (job_manager_upkeep.cc).
  bool shared_store = false;
  std::chrono::milliseconds discover_interval{500};
  int max_unavailable_retries = 120;              // a second apart; then the job fails
  std::chrono::milliseconds commit_interval{50};  // finished chunks wait at most this long
};

class JobManager final : public JobService {
 public:
  // Under `dir`: where uploads are written as they arrive, before their job
  // takes them (the HTTP server's spool); emptied at Start.
  static constexpr char kUploadsFolder[] = "uploads";

  // Opens the store; `create`: make the database when it does not exist
  // (otherwise NOT_FOUND). It is opened at Start when it exists, else at the
  // first submission, so a server that runs no job writes nothing.
  using StoreOpener = std::function<StatusOr<std::unique_ptr<JobStore>>(bool create)>;
  JobManager(ServerCore* core, StoreOpener opener, JobManagerOptions options,
             MetricsRegistry* metrics);
  ~JobManager() override;
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Resumes the stored jobs and starts the thread.
  Status Start();
  // Stops claiming, waits for the chunks in flight (their requests are
  // already in the models' queues; after `wait` it warns and waits on) and
  // records them, and ends the thread. Jobs resume at the next Start.
  void Stop(std::chrono::milliseconds wait = std::chrono::milliseconds(10000));
  // Ends RunCall's threads (Stop does too): calls still waiting are answered
  // UNAVAILABLE at once, and those running finish first. Call it while the
  // HTTP server can still send their answers (serve: before its drain).
  void StopCalls();

  StatusOr<JobRecord> Submit(JobSubmission submission) override;
  StatusOr<JobRecord> Get(std::string_view id) override;
  StatusOr<std::vector<JobRecord>> List() override;
  StatusOr<JobRecord> Cancel(std::string_view id) override;
  StatusOr<JobRecord> Retry(std::string_view id) override;
  Status Delete(std::string_view id) override;
  StatusOr<std::filesystem::path> ResultsFile(std::string_view id) override;
  void RunCall(std::function<void(Status)> work) override;
  // Calls waiting for RunCall's threads past which new ones are refused.
  static constexpr size_t kMaxWaitingCalls = 256;

 private:
  struct Finished {
    std::string job_id;
    JobChunk chunk;  // kept to run again when the result is an error
    StatusOr<JobChunkResult> result;
    double seconds = 0;
  };
  void Loop();
  // Reads the inputs of submitted jobs, one job at a time, on a thread of its
  // own: a large file does not hold up the chunks of the jobs already running.
  void ValidateLoop();
  // False when the job is still validating in the store (the store or the
  // model unavailable, or stopping): it is to be read again.
  bool Validate(const std::string& id);
  void Dispatch();
  void CommitFinished();
  void FinishJobs();
  void Sweep();
  void Discover();
  void Finalize(JobRecord job, JobState final_state);  // under mu_
  void Forget(const std::string& id);                  // under mu_
  // Stops the job's work in this process: its validation, queued requests
  // and chunks waiting to run again (a cancel, here or elsewhere). Under mu_.
  void StopHere(const std::string& id);
  bool Idle(const std::string& id);  // under mu_
  // False when the store could not record it (moved meanwhile is recorded:
  // another replica's state stands).
  bool SetState(JobRecord& job, JobState state, std::string error = "");
  // The gauges /metrics reads, counted on the loop (the store may be
  // Redis: a scrape must not wait on it on an HTTP thread).
  void CountJobs();
  std::filesystem::path JobDir(std::string_view id) const { return options_.dir / std::string(id); }
  std::filesystem::path ResultsPath(const JobRecord& job) const;
  // The digest of the job's input as validated, kept beside it: the store on
  // this machine keeps where chunks' rows lie in the file, not the rows, so a
  // retry first checks that the file still holds them.
  std::filesystem::path InputDigestPath(const JobRecord& job) const {
    return JobDir(job.id) / "input.digest";
  }
  Status CheckInputUnchanged(const JobRecord& job) const;
  std::filesystem::path InputPath(const JobRecord& job) const;
  static int64_t NowMs();
  bool HasStore();
  void CountRows(const JobChunkResult& result);

  ServerCore* core_;
  const StoreOpener opener_;
  std::mutex store_mu_;
  std::unique_ptr<JobStore> store_;  // set once, then never changed
  const JobManagerOptions options_;
  MetricsRegistry* metrics_;
  // The answers' rows, and slots for the loop's work too; shared with the
  // models' background threads, which hold its slots while a job's batch runs.
  std::shared_ptr<JobThreads> threads_;
  ChunkRunner runner_;

  // mu_ serializes the jobs' state changes (the API calls, the loop and the
  // validator);
  // done_mu_ guards what the chunks' callbacks touch, on the models' threads,
  // which must never wait for mu_ (held across database writes). Order:
  // mu_, then done_mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable validate_cv_;  // the validator's: a job submitted, or Stop
  bool stopping_ = false;
  std::atomic<bool> cancel_validation_{false};
  std::deque<std::string> to_validate_;
  std::string validating_;           // the job whose input is being read
  std::vector<std::string> active_;  // validated and not final, oldest first
  std::set<std::string> cancelling_;
  std::map<std::string, std::vector<JobChunk>> again_;  // chunks to run again, per job
  std::map<std::string, std::chrono::steady_clock::time_point> backoff_;
  std::map<std::string, int> unavailable_;      // chunks back unrun in a row, per job
  std::map<std::string, std::string> failing_;  // jobs to fail once their chunks are back
  // Set on cancel: the job's requests still queued in the models are dropped.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> cancel_flags_;
  std::chrono::steady_clock::time_point next_sweep_{};
  std::chrono::steady_clock::time_point next_discover_{};
  std::mutex results_mu_;  // one results file written at a time

  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::map<std::string, int> running_;  // chunks in flight per job
  int running_total_ = 0;
  std::vector<Finished> finished_;  // waiting to be recorded
  std::thread thread_;
  std::thread validator_;
  struct ValidationRetry {
    int attempts = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, ValidationRetry> validation_retries_;  // reads to try again, and when
  // Other replicas' validating jobs whose reader lease was missing, since
  // when (Discover's; under mu_).
  std::map<std::string, std::chrono::steady_clock::time_point> readers_missing_since_;

  std::mutex counts_mu_;
  std::map<std::string, int> jobs_by_state_;
  int64_t rows_waiting_ = 0;
  std::chrono::steady_clock::time_point counted_at_{};  // the loop's
  std::atomic<bool> counts_stale_{false};               // a job moved since they were counted

  // RunCall's threads, from Start to StopCalls.
  std::mutex calls_mu_;
  std::unique_ptr<ThreadPool> calls_;
  std::atomic<bool> calls_stopping_{true};
};

}  // namespace inferd::jobs
