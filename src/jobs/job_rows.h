// A job's input cut into rows: JSONL lines (blank lines skipped), or CSV
// records (a quoted field may hold line breaks; blank records skipped, as
// the CSV reader of the request bodies does). A row never includes its line
// end. Used on whole files read block by block, and on a chunk's text.
//
// Thread-compatible.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/jobs/job.h"

namespace inferd::jobs {

// Appends the complete rows at the start of `text` to `rows` and returns the
// bytes they took. With `at_end`, the text is all there is: a last row
// without a line end counts too (and an unterminated quoted CSV field is
// taken as it is, for the CSV reader to refuse).
size_t SplitRows(JobFormat format, std::string_view text, bool at_end,
                 std::vector<std::string_view>& rows);

}  // namespace inferd::jobs
