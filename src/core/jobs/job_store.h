// Where batch jobs live: the job, its chunks (their rows, as the input gave
// them) and each chunk's results, so that after a crash every job resumes
// from its unfinished chunks and its results hold every row exactly once.
// storage/sqlite_job_store.h implements it for one process; a shared store
// (Redis) lets several replicas claim one job's chunks.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/jobs/job.h"
#include "core/status.h"

namespace inferd {

class JobStore {
 public:
  virtual ~JobStore() = default;

  // A new job (state validating, no chunks yet). ALREADY_EXISTS for a known id.
  virtual Status CreateJob(const JobRecord& job) = 0;
  // Validation adds the job's chunks in order, a batch per call (one
  // transaction each); `only_rows` and `previous_results` are not kept. A
  // chunk added again (validation that a crash cut short, run again)
  // replaces the first.
  virtual Status AddChunks(const std::vector<JobChunk>& chunks) = 0;
  // Validation is over: the job has `total` rows in `chunks` chunks of
  // `chunk_rows` and is queued (one transaction).
  // FAILED_PRECONDITION when the job is no longer validating (cancelled).
  virtual Status MarkValidated(std::string_view id, int64_t total, int64_t chunks,
                               int64_t chunk_rows) = 0;
  // nullopt when there is no such job.
  virtual StatusOr<std::optional<JobRecord>> GetJob(std::string_view id) = 0;
  // Every job, oldest first.
  virtual StatusOr<std::vector<JobRecord>> ListJobs() = 0;
  // The jobs not final, oldest first: what replicas look at often, without
  // reading every job kept for its retention.
  virtual StatusOr<std::vector<JobRecord>> ListUnfinishedJobs() = 0;
  // Writes the job's state, error and timestamps (never its counts, which
  // follow its chunks), when the stored state is still `from` (the state the
  // caller read) and may move to job.state (JobStateMayMove): two replicas
  // may both write, and the second, having read a state that is gone, does
  // not undo the first. FAILED_PRECONDITION when the update is not made.
  virtual Status UpdateJob(const JobRecord& job, JobState from) = 0;

  // Up to `max` of the job's chunks that are not done and not claimed, in
  // index order, claimed by this process for `lease` (every call on a store
  // passes the same): a claim that runs out (its process died, or went
  // silent) lets another claim the chunk. A
  // chunk that failed rows before and was requeued comes with `only_rows`
  // and `previous_results`.
  virtual StatusOr<std::vector<JobChunk>> ClaimChunks(std::string_view id, size_t max,
                                                      std::chrono::milliseconds lease) = 0;
  // Gives up claims without results (a cancelled or stopping runner).
  virtual void ReleaseClaims(std::string_view id) = 0;
  // Records each chunk's results and marks it done in one transaction, and
  // the job's counts and first errors follow. A chunk already done keeps
  // what it has (a chunk run twice is recorded once); a chunk of a job that
  // is cancelling, cancelled or failed is not recorded, so a cancelled
  // job's results stay what they were when the cancel came, on every replica.
  virtual Status CompleteChunks(const std::vector<JobChunkResult>& results) = 0;
  // Chunks not done yet (claimed or not).
  virtual StatusOr<int64_t> PendingChunks(std::string_view id) = 0;
  // Retry: every chunk with failed rows is not done again, to run only those
  // rows; the job's failed count and first errors are cleared (one
  // transaction). Returns the number of rows to run again.
  virtual StatusOr<int64_t> RequeueFailedRows(std::string_view id) = 0;
  // The recorded result lines of the done chunks (and of chunks requeued
  // for their failed rows, as they were), in row order, a chunk's lines per
  // call of `sink`.
  virtual Status ReadResults(std::string_view id,
                             const std::function<Status(std::string_view lines)>& sink) = 0;
  // The job and everything kept for it; OK when there was none.
  virtual Status DeleteJob(std::string_view id) = 0;

  // Who reads a job's input. A store shared by processes that each keep
  // their inputs on their own disk holds a lease for the process reading a
  // validating job's input: taken by CreateJob (or by HoldReading, for a job
  // resumed after a restart), renewed by the store until ReleaseReading or
  // its own end. A validating job whose reader's lease ran out (ReaderGone)
  // can never be validated by anyone else. A store used by one process
  // needs none of this: the defaults.
  //
  // FAILED_PRECONDITION when the job is no longer validating.
  virtual Status HoldReading(std::string_view /*id*/) { return Status::Ok(); }
  virtual void ReleaseReading(std::string_view /*id*/) {}
  virtual StatusOr<bool> ReaderGone(std::string_view /*id*/) { return false; }
};

}  // namespace inferd
