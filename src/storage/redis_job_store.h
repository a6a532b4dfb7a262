// The job store (core/jobs/job_store.h) in Redis, shared by every replica
// pointed at it (`serve --jobs-redis`): any replica answers a job's status
// and results, and all of them run its chunks.
//
// A job's chunks are messages of a Redis Stream read by one consumer group:
// a replica claims chunks with XREADGROUP, renews its claims while they run
// (XCLAIM of its own pending messages), and takes over the chunks of a
// replica that went silent past the lease with XAUTOCLAIM. A chunk's results,
// its done mark, the job's counts and the message's XACK change together in
// one Lua script, which records a chunk finished twice (by a replica thought
// lost, and by the one that took over) once. Every write is a script or one
// command, so a Redis restart with its append-only file on loses no step
// half-done; calls while Redis is away fail UNAVAILABLE and the next one
// reconnects.
//
// Keys, under the prefix (default "inferd:"): "jobs" (a sorted set of job ids
// by creation time), and per job "job:<id>" (a hash: the record), with
// ":chunks" (sorted set of chunk indexes), ":c:<index>" (hash: the chunk's
// rows, results and marks), ":pending" and ":failed" (sets of indexes),
// ":errors" (sorted set of the first errors by row), ":stream", and
// ":reader" (the replica reading a validating job's input, expiring with the
// lease unless that replica renews it).
//
// Ownership: owns its connection and the thread that renews claims and the
// leases on the inputs it reads.
// Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/jobs/job_store.h"
#include "storage/redis_client.h"

namespace inferd {

struct RedisJobStoreOptions {
  RedisEndpoint endpoint;
  std::string prefix = "inferd:";
  // How long a claim holds without renewal; this store renews its own every
  // third of it. Callers pass the same lease to ClaimChunks.
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds timeout{5000};  // connecting, and each reply
};

class RedisJobStore : public JobStore {
 public:
  // Checks that Redis answers (and is 6.2 or later, for XAUTOCLAIM).
  static StatusOr<std::unique_ptr<RedisJobStore>> Open(RedisJobStoreOptions options);
  ~RedisJobStore() override;

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
  Status HoldReading(std::string_view id) override;
  void ReleaseReading(std::string_view id) override;
  StatusOr<bool> ReaderGone(std::string_view id) override;

  // This replica's name in the consumer group.
  const std::string& consumer() const { return consumer_; }

 private:
  using Claims = std::map<std::string, int64_t>;  // message id → chunk index

  RedisJobStore(RedisJobStoreOptions options, std::string consumer);
  std::string JobKey(std::string_view id) const;
  // The sorted set (by creation) of the jobs not final, beside the one of all.
  std::string UnfinishedKey() const;
  // The jobs a sorted set of ids names, in its order.
  StatusOr<std::vector<JobRecord>> ReadJobs(const std::string& index);
  std::string ChunkKey(std::string_view id, int64_t index) const;
  // Set (with the lease's expiry) while a replica reads the job's input.
  std::string ReaderKey(std::string_view id) const;
  // Takes or renews the reader's lease while the job validates.
  std::vector<std::string> HoldReadingCommand(std::string_view id) const;
  // Reads the messages' chunks; stale messages (a chunk done, or given a
  // newer message) are acknowledged and left out.
  StatusOr<std::vector<JobChunk>> ReadClaimed(
      std::string_view id, const std::vector<std::pair<std::string, int64_t>>& messages);
  void RenewLoop();

  const RedisJobStoreOptions options_;
  const std::string consumer_;
  RedisClient redis_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, Claims, std::less<>> claims_;  // by job id
  std::set<std::string, std::less<>> reading_;         // jobs whose input this replica reads
  std::thread renewer_;
};

}  // namespace inferd
