// A job's input cut into rows: JSONL lines (blank lines skipped), or CSV
// records (a quoted field may hold line breaks; blank records skipped, as
// the CSV reader of the request bodies does). A row never includes its line
// end. Used on whole files read block by block, and on a chunk's text.
//
// A chunk's text is its rows, each ended by '\n'. A store on the machine
// that holds the input keeps only where a chunk's rows lie in the file and
// the digest of its text; LoadChunkText reads them back.
//
// Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/jobs/job.h"
#include "core/status.h"

namespace inferd::jobs {

// Appends the complete rows at the start of `text` to `rows` and returns the
// bytes they took. With `at_end`, the text is all there is: a last row
// without a line end counts too (and an unterminated quoted CSV field is
// taken as it is, for the CSV reader to refuse).
size_t SplitRows(JobFormat format, std::string_view text, bool at_end,
                 std::vector<std::string_view>& rows);

// Appends `row` to a chunk's text: the row, then '\n'. Validation builds
// chunks so and LoadChunkText rebuilds them so, and their digests must agree.
inline void AppendChunkRow(std::string& text, std::string_view row) {
  text.append(row);
  text += '\n';
}

// A digest of a chunk's text, to tell that an input read again still holds
// the rows it was validated with. Fast, not cryptographic: it catches a file
// changed under a job, not one forged to collide.
uint64_t ChunkTextDigest(std::string_view text);

// A job's input file is read in blocks of this size, and digested block by
// block: NextInputDigest(so_far, block) for each, in order, from 0.
inline constexpr size_t kInputBlock = 1 << 20;
uint64_t NextInputDigest(uint64_t so_far, std::string_view block);
// The digest of the whole file, as validation took it. UNAVAILABLE when it
// cannot be read.
StatusOr<uint64_t> InputFileDigest(const std::filesystem::path& input);

// Fills `chunk.text` from bytes [input_offset, input_offset + input_bytes)
// of `input` when the store gave the chunk without it. FAILED_PRECONDITION
// when the file no longer holds the rows it was validated with.
Status LoadChunkText(JobFormat format, const std::filesystem::path& input, JobChunk& chunk);

}  // namespace inferd::jobs
