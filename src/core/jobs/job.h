// A batch job: a dataset of rows run through one model (or route), each row
// answered exactly once, as plain values the job store keeps and the job
// service hands out. A job's rows are cut into chunks of consecutive rows;
// a chunk is the unit that is claimed, run and recorded (its results and its
// "done" mark together), so a crash loses at most the chunks in flight, and
// they run again.
//
// Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inferd {

// validating → queued → in_progress → finalizing → completed | failed;
// cancelling → cancelled from any state before completed.
enum class JobState {
  kValidating,
  kQueued,
  kInProgress,
  kFinalizing,
  kCompleted,
  kFailed,
  kCancelling,
  kCancelled,
};
std::string_view JobStateName(JobState state);
std::optional<JobState> ParseJobState(std::string_view name);
// completed, failed and cancelled: nothing more happens to the job.
bool IsFinal(JobState state);
// The job's state machine: validating -> queued -> in_progress -> finalizing
// -> completed, failed from any state that is not final, cancelling from
// any state before final and then cancelled, and a completed or cancelled
// job queued again by a retry. A state never moves to itself.
bool JobStateMayMove(JobState from, JobState to);

enum class JobFormat { kJsonl, kCsv };
std::string_view JobFormatName(JobFormat format);
std::optional<JobFormat> ParseJobFormat(std::string_view name);

// What the submitter asked for.
struct JobSpec {
  std::string model;    // a model or a route
  std::string version;  // empty: the model's default
  JobFormat input_format = JobFormat::kJsonl;
  JobFormat output_format = JobFormat::kJsonl;
  std::string key_field;       // a column (CSV) or field (JSONL records) named in each result
  bool join_input = false;     // each result line repeats its input row
  std::string owner;           // the identity that submitted it ("" when anonymous)
  std::string origin = "api";  // "api" or "predict_batch" (the seeds' shape)
  bool operator==(const JobSpec&) const = default;
};

struct RowError {
  int64_t row = 0;  // 0-based, in input order
  int status = 0;   // HTTP status of the error (400 a bad row, 500 the model failed)
  std::string message;
  bool operator==(const RowError&) const = default;
};

// Errors a job keeps about its rows: the first few, with their row numbers.
inline constexpr size_t kJobFirstErrors = 10;

struct JobRecord {
  std::string id;
  JobSpec spec;
  JobState state = JobState::kValidating;
  int64_t total = 0;  // rows; known once validated
  int64_t completed = 0;
  int64_t failed = 0;
  int64_t chunk_rows = 0;  // rows per chunk (the last may hold fewer)
  int64_t chunks = 0;
  int64_t created_ms = 0;  // Unix epoch milliseconds; 0 when not yet
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string error;  // why the job failed or was cancelled, when it did
  std::vector<RowError> first_errors;
  bool operator==(const JobRecord&) const = default;
};

// A chunk's rows as the input gave them: JSONL lines, or CSV records after
// the file's header line (which `header` repeats for each chunk).
struct JobChunk {
  std::string job_id;
  int64_t index = 0;
  int64_t first_row = 0;
  int64_t rows = 0;
  std::string header;  // CSV only
  std::string text;
  // Where the rows lie in the job's input file: bytes [input_offset,
  // input_offset + input_bytes), and the digest of `text`. A store on the
  // machine that holds the file may keep these instead of the text, and give
  // the chunk back without it (jobs/job_rows.h LoadChunkText reads it
  // again). -1: the rows are only in `text`.
  int64_t input_offset = -1;
  int64_t input_bytes = 0;
  uint64_t input_digest = 0;
  // Rows of the chunk (0-based within it) to run; empty: all of them. A
  // retry runs only the rows that failed.
  std::vector<int64_t> only_rows;
  // The results recorded before (a retry's), one JSONL line per row.
  std::string previous_results;
};

// A chunk's results: one canonical JSONL line per row, in row order.
struct JobChunkResult {
  std::string job_id;
  int64_t index = 0;
  std::string lines;
  int64_t completed = 0;
  int64_t failed = 0;
  std::vector<int64_t> failed_rows;  // 0-based within the chunk
  std::vector<RowError> errors;      // the first few, job-wide row numbers
};

}  // namespace inferd
