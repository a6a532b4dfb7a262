// How the job stores (SQLite, Redis) write a job's lists as text: its first
// errors, one "row\tstatus\tmessage" line each (the message's backslashes,
// tabs and line breaks escaped), and a chunk's failed rows, comma-separated.
//
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/jobs/job.h"
#include "core/status.h"

namespace inferd {

// A whole decimal number and nothing else.
std::optional<int64_t> ParseStoredInt(std::string_view text);

std::string EncodeErrors(const std::vector<RowError>& errors);
// nullopt when the text is not what EncodeErrors writes.
std::optional<std::vector<RowError>> DecodeErrors(std::string_view text);

std::string EncodeRows(const std::vector<int64_t>& rows);
std::optional<std::vector<int64_t>> DecodeRows(std::string_view text);

// Why UpdateJob did not move a job's state (FAILED_PRECONDITION).
Status StateNotMoved(std::string_view id, JobState from, JobState to);

// The first kJobFirstErrors errors by row, one per row (the earlier of two
// for one row: `errors` before `more`).
std::vector<RowError> MergeErrors(std::vector<RowError> errors, const std::vector<RowError>& more);

}  // namespace inferd
