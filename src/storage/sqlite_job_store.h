// The job store (core/jobs/job_store.h) in a SQLite database: each job's
// record, and its chunks (where their rows lie in the job's input file, or
// the rows themselves) and, once done, their results, so that a restarted
// server resumes every job from its chunks not done. A chunk's results and
// its done mark are written in one transaction.
//
// Claims are kept in memory only: the store serves one process, and after a
// restart no chunk is claimed. A claim runs out after its lease (steady
// clock), and the chunk can then be claimed again.
//
// Ownership: owns the database connection. Thread-safety: thread-safe
// (changes and reads are serialized by a mutex; SQLite serializes the
// connection). ReadResults holds the mutex while it reads a chunk, not while
// its sink runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/jobs/job_store.h"
#include "storage/sqlite_db.h"

namespace inferd {

class SqliteJobStore : public JobStore {
 public:
  // NOT_FOUND when the file does not exist and `create` is false.
  static StatusOr<std::unique_ptr<SqliteJobStore>> Open(const std::filesystem::path& path,
                                                        bool create);

  // NOT_FOUND for an unknown job: AddChunks, MarkValidated, UpdateJob and
  // RequeueFailedRows.
  Status CreateJob(const JobRecord& job) override;
  Status AddChunks(const std::vector<JobChunk>& chunks) override;
  Status MarkValidated(std::string_view id, int64_t total, int64_t chunks,
                       int64_t chunk_rows) override;
  StatusOr<std::optional<JobRecord>> GetJob(std::string_view id) override;
  StatusOr<std::vector<JobRecord>> ListJobs() override;
  StatusOr<std::vector<JobRecord>> ListUnfinishedJobs() override;
  Status UpdateJob(const JobRecord& job, JobState from) override;

  StatusOr<std::vector<JobChunk>> ClaimChunks(std::string_view id, size_t max,
                                              std::chrono::milliseconds lease) override;
  void ReleaseClaims(std::string_view id) override;
  Status CompleteChunks(const std::vector<JobChunkResult>& results) override;
  StatusOr<int64_t> PendingChunks(std::string_view id) override;
  StatusOr<int64_t> RequeueFailedRows(std::string_view id) override;
  Status ReadResults(std::string_view id,
                     const std::function<Status(std::string_view lines)>& sink) override;
  Status DeleteJob(std::string_view id) override;

 private:
  using Claims = std::map<int64_t, std::chrono::steady_clock::time_point>;  // chunk → expiry

  explicit SqliteJobStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  // With mu_ held.
  StatusOr<std::vector<JobRecord>> List(const std::string& where);  // under no lock
  Status CheckJobExists(std::string_view id);

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  std::map<std::string, Claims, std::less<>> claims_;  // by job id
};

}  // namespace inferd
