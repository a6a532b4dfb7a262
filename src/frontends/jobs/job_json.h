// The job API's JSON: a submission ({"model", "rows" | "input_path",
// "input_format", "output_format", "key_field", "join_input", "version"}) as
// core/jobs/job_service.h takes it. Translation only; pure functions.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "core/jobs/job_service.h"
#include "core/status.h"

namespace inferd::jobsfe {

// INVALID_ARGUMENT, saying what is wrong, for a body that is not a
// submission (not JSON, both or neither of rows and input_path, an unknown
// format, a field of the wrong type).
StatusOr<JobSubmission> ParseJobSubmission(std::string_view body);

// Rows of a JSON array as JSONL text, one minified row per line.
std::string RowsAsJsonl(simdjson::dom::array rows);

// "jsonl" or "csv" (`fallback` when empty); `what` names the field in errors.
StatusOr<JobFormat> FormatOption(std::string_view given, JobFormat fallback, std::string_view what);

}  // namespace inferd::jobsfe
