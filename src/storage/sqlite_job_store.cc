#include "storage/sqlite_job_store.h"

#include <sqlite3.h>

#include <set>
#include <utility>

#include "storage/job_store_codec.h"

namespace inferd {
namespace {

// A job's counts follow its chunks: `completed` sums the chunks done or
// requeued to retry their failed rows (their completed rows stay), `failed`
// sums the done chunks. `first_errors` holds one "row\tstatus\tmessage" line
// per error (see EncodeErrors). A chunk's `results` are its JSONL lines as
// the runner gave them, `failed_rows` its failed rows (0-based within the
// chunk) comma-separated; `retry` marks a done chunk requeued to run only
// those rows. Chunk rows can be large (their input and results), so the
// table keeps its rowid; the index on (job_id, done, idx) finds a job's
// pending chunks in order, counts them, and steps through its done ones.
// A chunk whose rows lie in the job's input file (input_offset >= 0) keeps
// only where they are and their digest, and `input` a placeholder: copying
// every row into the database, and SQLite rewriting the record with its
// results, was most of a job's file I/O (bench/RESULTS.md W5job).
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  input_format TEXT NOT NULL,
  output_format TEXT NOT NULL,
  key_field TEXT NOT NULL,
  join_input INTEGER NOT NULL,
  owner TEXT NOT NULL,
  origin TEXT NOT NULL,
  state TEXT NOT NULL,
  total INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  chunk_rows INTEGER NOT NULL DEFAULT 0,
  chunks INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL DEFAULT 0,
  started_ms INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  first_errors TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_chunks (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  first_row INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  retry INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  failed_rows TEXT NOT NULL DEFAULT '',
  header TEXT NOT NULL DEFAULT '',
  input TEXT NOT NULL,
  results TEXT NOT NULL DEFAULT '',
  input_offset INTEGER NOT NULL DEFAULT -1,
  input_bytes INTEGER NOT NULL DEFAULT 0,
  input_digest INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS job_chunks_done ON job_chunks (job_id, done, idx);
)sql";

// What `input` holds for a chunk whose rows lie in the input file: a row an
// older inferd, which knows nothing of input_offset, would fail loudly as
// malformed JSON (or a short CSV record) rather than record as no rows.
constexpr char kRowsInTheInputFile[] =
    "this chunk's rows are in the job's input file: run the job with the inferd that "
    "validated it\n";

constexpr char kJobColumns[] =
    "SELECT id, model, version, input_format, output_format, key_field, join_input, owner, "
    "origin, state, total, completed, failed, chunk_rows, chunks, created_ms, started_ms, "
    "finished_ms, error, first_errors FROM jobs ";

// A row of kJobColumns.
StatusOr<JobRecord> ReadJob(const SqliteStatement& row) {
  JobRecord job;
  job.id = row.Text(0);
  const auto bad = [&](std::string_view what) {
    return Internal("stored job '" + job.id + "' has a bad " + std::string(what));
  };
  job.spec.model = row.Text(1);
  job.spec.version = row.Text(2);
  const auto input_format = ParseJobFormat(row.Text(3));
  const auto output_format = ParseJobFormat(row.Text(4));
  if (!input_format || !output_format) return bad("format");
  job.spec.input_format = *input_format;
  job.spec.output_format = *output_format;
  job.spec.key_field = row.Text(5);
  job.spec.join_input = row.Int(6) != 0;
  job.spec.owner = row.Text(7);
  job.spec.origin = row.Text(8);
  const auto state = ParseJobState(row.Text(9));
  if (!state) return bad("state");
  job.state = *state;
  job.total = row.Int(10);
  job.completed = row.Int(11);
  job.failed = row.Int(12);
  job.chunk_rows = row.Int(13);
  job.chunks = row.Int(14);
  job.created_ms = row.Int(15);
  job.started_ms = row.Int(16);
  job.finished_ms = row.Int(17);
  job.error = row.Text(18);
  auto errors = DecodeErrors(row.Text(19));
  if (!errors) return bad("list of first errors");
  job.first_errors = std::move(*errors);
  return job;
}

// A database made before chunks could keep where their rows lie gets the
// columns (its chunks keep their text, and input_offset -1 says so).
Status AddInputRangeColumns(SqliteDb& db) {
  {
    SqliteStatement columns(db, "SELECT 1 FROM pragma_table_info('job_chunks') WHERE name = ?");
    columns.Bind("input_offset");
    const bool has = columns.Row();
    INFERD_RETURN_IF_ERROR(columns.status("read the job database's columns"));
    if (has) return Status::Ok();
  }
  Status added = db.Exec(
      "BEGIN IMMEDIATE;"
      "ALTER TABLE job_chunks ADD COLUMN input_offset INTEGER NOT NULL DEFAULT -1;"
      "ALTER TABLE job_chunks ADD COLUMN input_bytes INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE job_chunks ADD COLUMN input_digest INTEGER NOT NULL DEFAULT 0;"
      "COMMIT;",
      "add the chunks' input range columns");
  if (!added.ok()) (void)db.Exec("ROLLBACK;", "undo the added columns");
  return added;
}

}  // namespace

StatusOr<std::unique_ptr<SqliteJobStore>> SqliteJobStore::Open(const std::filesystem::path& path,
                                                               bool create) {
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                          SqliteDb::Open(path, "job database", create, kSchema, "job_chunks"));
  INFERD_RETURN_IF_ERROR(AddInputRangeColumns(*db));
  return std::unique_ptr<SqliteJobStore>(new SqliteJobStore(std::move(db)));
}

Status SqliteJobStore::CheckJobExists(std::string_view id) {
  SqliteStatement job(*db_, "SELECT 1 FROM jobs WHERE id = ?");
  job.Bind(id);
  const bool found = job.Row();
  INFERD_RETURN_IF_ERROR(job.status("find a job"));
  if (!found) return NotFound("no job '" + std::string(id) + "'");
  return Status::Ok();
}

Status SqliteJobStore::CreateJob(const JobRecord& job) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  Status exists = CheckJobExists(job.id);
  if (exists.ok()) return AlreadyExists("job '" + job.id + "' already exists");
  if (exists.code() != StatusCode::kNotFound) return exists;
  INFERD_RETURN_IF_ERROR(
      SqliteStatement(*db_,
                      "INSERT INTO jobs (id, model, version, input_format, output_format, "
                      "key_field, join_input, owner, origin, state, total, completed, failed, "
                      "chunk_rows, chunks, created_ms, started_ms, finished_ms, error, "
                      "first_errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                      "?, ?, ?)")
          .Bind(job.id)
          .Bind(job.spec.model)
          .Bind(job.spec.version)
          .Bind(JobFormatName(job.spec.input_format))
          .Bind(JobFormatName(job.spec.output_format))
          .Bind(job.spec.key_field)
          .Bind(int64_t{job.spec.join_input ? 1 : 0})
          .Bind(job.spec.owner)
          .Bind(job.spec.origin)
          .Bind(JobStateName(job.state))
          .Bind(job.total)
          .Bind(job.completed)
          .Bind(job.failed)
          .Bind(job.chunk_rows)
          .Bind(job.chunks)
          .Bind(job.created_ms)
          .Bind(job.started_ms)
          .Bind(job.finished_ms)
          .Bind(job.error)
          .Bind(EncodeErrors(job.first_errors))
          .Run("create a job"));
  return tx.Commit();
}

Status SqliteJobStore::AddChunks(const std::vector<JobChunk>& chunks) {
  if (chunks.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  std::set<std::string_view> jobs;
  for (const JobChunk& chunk : chunks) {
    if (jobs.insert(chunk.job_id).second) INFERD_RETURN_IF_ERROR(CheckJobExists(chunk.job_id));
    INFERD_RETURN_IF_ERROR(
        SqliteStatement(*db_,
                        // A validation that a crash cut short runs again
                        // and adds the same chunks: they replace the first.
                        "INSERT OR REPLACE INTO job_chunks (job_id, idx, first_row, rows, "
                        "header, input, input_offset, input_bytes, input_digest) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(chunk.job_id)
            .Bind(chunk.index)
            .Bind(chunk.first_row)
            .Bind(chunk.rows)
            .Bind(chunk.header)
            .Bind(chunk.input_offset >= 0 ? std::string_view(kRowsInTheInputFile)
                                          : std::string_view(chunk.text))
            .Bind(chunk.input_offset)
            .Bind(chunk.input_bytes)
            .Bind(static_cast<int64_t>(chunk.input_digest))
            .Run("add a job's chunk"));
  }
  return tx.Commit();
}

Status SqliteJobStore::MarkValidated(std::string_view id, int64_t total, int64_t chunks,
                                     int64_t chunk_rows) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  INFERD_RETURN_IF_ERROR(CheckJobExists(id));
  INFERD_RETURN_IF_ERROR(
      SqliteStatement(*db_,
                      "UPDATE jobs SET total = ?, chunks = ?, chunk_rows = ?, state = ? "
                      "WHERE id = ? AND state = ?")
          .Bind(total)
          .Bind(chunks)
          .Bind(chunk_rows)
          .Bind(JobStateName(JobState::kQueued))
          .Bind(id)
          .Bind(JobStateName(JobState::kValidating))
          .Run("mark a job validated"));
  if (sqlite3_changes(db_->handle()) == 0) {
    return StateNotMoved(id, JobState::kValidating, JobState::kQueued);
  }
  return tx.Commit();
}

StatusOr<std::optional<JobRecord>> SqliteJobStore::GetJob(std::string_view id) {
  std::lock_guard lock(mu_);
  SqliteStatement row(*db_, (std::string(kJobColumns) + "WHERE id = ?").c_str());
  row.Bind(id);
  std::optional<JobRecord> job;
  if (row.Row()) {
    INFERD_ASSIGN_OR_RETURN(job, ReadJob(row));
  }
  INFERD_RETURN_IF_ERROR(row.status("read a job"));
  return job;
}

StatusOr<std::vector<JobRecord>> SqliteJobStore::ListJobs() {
  return List("");
}

StatusOr<std::vector<JobRecord>> SqliteJobStore::ListUnfinishedJobs() {
  return List("WHERE state NOT IN ('completed', 'failed', 'cancelled') ");
}

StatusOr<std::vector<JobRecord>> SqliteJobStore::List(const std::string& where) {
  std::lock_guard lock(mu_);
  SqliteStatement rows(*db_, (kJobColumns + where + "ORDER BY created_ms, id").c_str());
  std::vector<JobRecord> jobs;
  while (rows.Row()) {
    INFERD_ASSIGN_OR_RETURN(JobRecord job, ReadJob(rows));
    jobs.push_back(std::move(job));
  }
  INFERD_RETURN_IF_ERROR(rows.status("read the jobs"));
  return jobs;
}

Status SqliteJobStore::UpdateJob(const JobRecord& job, JobState from) {
  if (!JobStateMayMove(from, job.state)) return StateNotMoved(job.id, from, job.state);
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  INFERD_RETURN_IF_ERROR(CheckJobExists(job.id));
  INFERD_RETURN_IF_ERROR(
      SqliteStatement(*db_,
                      "UPDATE jobs SET state = ?, error = ?, started_ms = ?, finished_ms = ? "
                      "WHERE id = ? AND state = ?")
          .Bind(JobStateName(job.state))
          .Bind(job.error)
          .Bind(job.started_ms)
          .Bind(job.finished_ms)
          .Bind(job.id)
          .Bind(JobStateName(from))
          .Run("update a job"));
  if (sqlite3_changes(db_->handle()) == 0) return StateNotMoved(job.id, from, job.state);
  return tx.Commit();
}

StatusOr<std::vector<JobChunk>> SqliteJobStore::ClaimChunks(std::string_view id, size_t max,
                                                            std::chrono::milliseconds lease) {
  std::vector<JobChunk> out;
  if (max == 0) return out;
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  auto claims = claims_.find(id);
  // Steps through the pending chunks in order (the index has them), past the
  // few that are claimed, and reads only the ones it takes.
  SqliteStatement rows(*db_,
                       "SELECT idx, first_row, rows, header, input, retry, failed_rows, results, "
                       "input_offset, input_bytes, input_digest "
                       "FROM job_chunks WHERE job_id = ? AND done = 0 ORDER BY idx");
  rows.Bind(id);
  std::vector<int64_t> taken;
  while (out.size() < max && rows.Row()) {
    const int64_t index = rows.Int(0);
    if (claims != claims_.end()) {
      const auto claim = claims->second.find(index);
      if (claim != claims->second.end() && claim->second > now) continue;
    }
    JobChunk& chunk = out.emplace_back();
    chunk.job_id = std::string(id);
    chunk.index = index;
    chunk.first_row = rows.Int(1);
    chunk.rows = rows.Int(2);
    chunk.header = rows.Text(3);
    chunk.input_offset = rows.Int(8);
    if (chunk.input_offset < 0) chunk.text = rows.Text(4);
    chunk.input_bytes = rows.Int(9);
    chunk.input_digest = static_cast<uint64_t>(rows.Int(10));
    if (rows.Int(5) != 0) {
      auto only_rows = DecodeRows(rows.Text(6));
      if (!only_rows) {
        return Internal("stored chunk " + std::to_string(index) + " of job '" + chunk.job_id +
                        "' has a bad list of failed rows");
      }
      chunk.only_rows = std::move(*only_rows);
      chunk.previous_results = rows.Text(7);
    }
    taken.push_back(index);
  }
  INFERD_RETURN_IF_ERROR(rows.status("claim a job's chunks"));
  if (!taken.empty()) {
    if (claims == claims_.end()) claims = claims_.emplace(std::string(id), Claims()).first;
    for (int64_t index : taken) claims->second[index] = now + lease;
  }
  return out;
}

void SqliteJobStore::ReleaseClaims(std::string_view id) {
  std::lock_guard lock(mu_);
  const auto claims = claims_.find(id);
  if (claims != claims_.end()) claims_.erase(claims);
}

Status SqliteJobStore::CompleteChunks(const std::vector<JobChunkResult>& results) {
  if (results.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  // What the recorded chunks add to their jobs' counts and first errors. The
  // counts change by the chunks' differences, which keeps them the sums
  // described at kSchema without summing a large job's chunks each time.
  struct JobChange {
    int64_t completed = 0;
    int64_t failed = 0;
    std::vector<RowError> errors;
  };
  std::map<std::string_view, JobChange> changes;
  std::vector<std::pair<std::string_view, int64_t>> done;
  for (const JobChunkResult& result : results) {
    int64_t counted = 0;  // the chunk's completed rows its job counts now
    {
      SqliteStatement chunk(*db_,
                            "SELECT retry, completed FROM job_chunks WHERE job_id = ? AND "
                            "idx = ? AND done = 0 AND job_id IN (SELECT id FROM jobs WHERE "
                            "state NOT IN ('cancelling', 'cancelled', 'failed'))");
      chunk.Bind(result.job_id).Bind(result.index);
      const bool pending = chunk.Row();
      if (pending && chunk.Int(0) != 0) counted = chunk.Int(1);
      INFERD_RETURN_IF_ERROR(chunk.status("read a job's chunk"));
      if (!pending) continue;  // done already (run twice), gone, or its job stopping
    }
    INFERD_RETURN_IF_ERROR(
        SqliteStatement(*db_,
                        "UPDATE job_chunks SET done = 1, results = ?, completed = ?, failed = ?, "
                        "failed_rows = ?, retry = 0 WHERE job_id = ? AND idx = ? AND done = 0")
            .Bind(result.lines)
            .Bind(result.completed)
            .Bind(result.failed)
            .Bind(EncodeRows(result.failed_rows))
            .Bind(result.job_id)
            .Bind(result.index)
            .Run("record a job's chunk"));
    JobChange& change = changes[result.job_id];
    change.completed += result.completed - counted;
    change.failed += result.failed;
    change.errors = MergeErrors(std::move(change.errors), result.errors);
    done.emplace_back(result.job_id, result.index);
  }
  for (const auto& [id, change] : changes) {
    std::string first_errors;
    {
      SqliteStatement job(*db_, "SELECT first_errors FROM jobs WHERE id = ?");
      job.Bind(id);
      if (job.Row()) first_errors = job.Text(0);
      INFERD_RETURN_IF_ERROR(job.status("read a job's errors"));
    }
    auto errors = DecodeErrors(first_errors);
    if (!errors) return Internal("stored job '" + std::string(id) + "' has a bad list of errors");
    INFERD_RETURN_IF_ERROR(
        SqliteStatement(*db_,
                        "UPDATE jobs SET completed = completed + ?, failed = failed + ?, "
                        "first_errors = ? WHERE id = ?")
            .Bind(change.completed)
            .Bind(change.failed)
            .Bind(EncodeErrors(MergeErrors(std::move(*errors), change.errors)))
            .Bind(id)
            .Run("count a job's rows"));
  }
  INFERD_RETURN_IF_ERROR(tx.Commit());
  for (const auto& [id, index] : done) {
    const auto claims = claims_.find(id);
    if (claims != claims_.end()) claims->second.erase(index);
  }
  return Status::Ok();
}

StatusOr<int64_t> SqliteJobStore::PendingChunks(std::string_view id) {
  std::lock_guard lock(mu_);
  SqliteStatement count(*db_, "SELECT COUNT(*) FROM job_chunks WHERE job_id = ? AND done = 0");
  count.Bind(id);
  int64_t pending = 0;
  if (count.Row()) pending = count.Int(0);
  INFERD_RETURN_IF_ERROR(count.status("count a job's pending chunks"));
  return pending;
}

StatusOr<int64_t> SqliteJobStore::RequeueFailedRows(std::string_view id) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  INFERD_RETURN_IF_ERROR(CheckJobExists(id));
  int64_t rows = 0;
  {
    SqliteStatement failed(*db_,
                           "SELECT COALESCE(SUM(failed), 0) FROM job_chunks WHERE job_id = ? "
                           "AND done = 1 AND failed > 0");
    failed.Bind(id);
    if (failed.Row()) rows = failed.Int(0);
    INFERD_RETURN_IF_ERROR(failed.status("count a job's failed rows"));
  }
  INFERD_RETURN_IF_ERROR(SqliteStatement(*db_,
                                         "UPDATE job_chunks SET done = 0, retry = 1 "
                                         "WHERE job_id = ? AND done = 1 AND failed > 0")
                             .Bind(id)
                             .Run("requeue a job's failed rows"));
  INFERD_RETURN_IF_ERROR(
      SqliteStatement(*db_,
                      "UPDATE jobs SET first_errors = '', "
                      "completed = (SELECT COALESCE(SUM(completed), 0) FROM job_chunks "
                      "WHERE job_id = jobs.id AND (done = 1 OR retry = 1)), "
                      "failed = (SELECT COALESCE(SUM(failed), 0) FROM job_chunks "
                      "WHERE job_id = jobs.id AND done = 1) WHERE id = ?")
          .Bind(id)
          .Run("recount a job's rows"));
  INFERD_RETURN_IF_ERROR(tx.Commit());
  return rows;
}

Status SqliteJobStore::ReadResults(std::string_view id,
                                   const std::function<Status(std::string_view lines)>& sink) {
  // A chunk at a time, each read on its own: memory holds one chunk's
  // results, and the sink (writing a file, or a response) runs without the
  // mutex, so other jobs go on meanwhile.
  int64_t after = -1;
  while (true) {
    std::string lines;
    {
      std::lock_guard lock(mu_);
      SqliteStatement chunk(*db_,
                            // A chunk requeued for its failed rows keeps the
                            // lines it recorded until it is done again.
                            "SELECT idx, results FROM job_chunks WHERE job_id = ? "
                            "AND (done = 1 OR retry = 1) AND idx > ? ORDER BY idx LIMIT 1");
      chunk.Bind(id).Bind(after);
      const bool found = chunk.Row();
      if (found) {
        after = chunk.Int(0);
        lines = chunk.Text(1);
      }
      INFERD_RETURN_IF_ERROR(chunk.status("read a job's results"));
      if (!found) return Status::Ok();
    }
    INFERD_RETURN_IF_ERROR(sink(lines));
  }
}

Status SqliteJobStore::DeleteJob(std::string_view id) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  INFERD_RETURN_IF_ERROR(tx.begun());
  INFERD_RETURN_IF_ERROR(
      SqliteStatement(*db_, "DELETE FROM jobs WHERE id = ?").Bind(id).Run("delete a job"));
  INFERD_RETURN_IF_ERROR(tx.Commit());
  const auto claims = claims_.find(id);
  if (claims != claims_.end()) claims_.erase(claims);
  return Status::Ok();
}

}  // namespace inferd
