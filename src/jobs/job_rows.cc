#include "jobs/job_rows.h"

#include <cstring>
#include <fstream>

namespace inferd::jobs {
namespace {

bool IsBlank(std::string_view row) {
  for (char c : row) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

void Keep(std::string_view row, std::vector<std::string_view>& rows) {
  if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
  if (!IsBlank(row)) rows.push_back(row);
}

}  // namespace

size_t SplitRows(JobFormat format, std::string_view text, bool at_end,
                 std::vector<std::string_view>& rows) {
  size_t start = 0;
  if (format == JobFormat::kJsonl) {
    // A JSON text has no raw line break: rows end at each one.
    while (start < text.size()) {
      const void* found = std::memchr(text.data() + start, '\n', text.size() - start);
      if (found == nullptr) break;
      const size_t end = static_cast<size_t>(static_cast<const char*>(found) - text.data());
      Keep(text.substr(start, end - start), rows);
      start = end + 1;
    }
    if (at_end && start < text.size()) {
      Keep(text.substr(start), rows);
      start = text.size();
    }
    return start;
  }
  // CSV (RFC 4180): a quote opens a quoted field only at the start of a
  // field; inside one, "" is a quote and a lone " closes it. A stray quote
  // elsewhere is the CSV reader's to refuse, in its row alone.
  bool quoted = false;
  bool field_start = true;
  const bool csv = format == JobFormat::kCsv;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (csv && quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          ++i;  // an escaped quote
        } else {
          quoted = false;
        }
      }
      continue;
    }
    if (csv && c == '"' && field_start) {
      quoted = true;
      field_start = false;
      continue;
    }
    if (c == '\n') {
      Keep(text.substr(start, i - start), rows);
      start = i + 1;
      field_start = true;
      continue;
    }
    field_start = c == ',';
  }
  if (at_end && start < text.size()) {
    Keep(text.substr(start), rows);
    start = text.size();
  }
  return start;
}

uint64_t ChunkTextDigest(std::string_view text) {
  // A word at a time: multiply-xorshift steps, then a final mix of the
  // whole (the tail's bytes, and the length, so "a" and "a\0" differ).
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = 0x243F6A8885A308D3ull ^ (static_cast<uint64_t>(text.size()) * kMul);
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 47;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, text.data() + i, text.size() - i);
  h = (h ^ tail) * kMul;
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return h;
}

uint64_t NextInputDigest(uint64_t so_far, std::string_view block) {
  return (so_far * 0x9E3779B97F4A7C15ull) ^ ChunkTextDigest(block);
}

StatusOr<uint64_t> InputFileDigest(const std::filesystem::path& input) {
  std::ifstream in(input, std::ios::binary);
  if (!in) return Unavailable("cannot read the job's input file");
  std::string block(kInputBlock, '\0');
  uint64_t digest = 0;
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    digest = NextInputDigest(digest, std::string_view(block).substr(0, got));
  }
  if (in.bad()) return Unavailable("cannot read the job's input file");
  return digest;
}

Status LoadChunkText(JobFormat format, const std::filesystem::path& input, JobChunk& chunk) {
  if (chunk.input_offset < 0 || !chunk.text.empty()) return Status::Ok();
  const auto changed = [&](const std::string& how) {
    return FailedPrecondition("the job's input file " + how + " since it was validated (chunk " +
                              std::to_string(chunk.index) + ", rows " +
                              std::to_string(chunk.first_row) + " to " +
                              std::to_string(chunk.first_row + chunk.rows - 1) + ")");
  };
  std::ifstream in(input, std::ios::binary);
  if (!in) return changed("cannot be read");
  std::string bytes(static_cast<size_t>(chunk.input_bytes), '\0');
  in.seekg(chunk.input_offset);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<size_t>(in.gcount()) != bytes.size()) return changed("is shorter");
  std::vector<std::string_view> rows;
  SplitRows(format, bytes, true, rows);
  std::string text;
  text.reserve(bytes.size() + 1);
  for (std::string_view row : rows) AppendChunkRow(text, row);
  if (static_cast<int64_t>(rows.size()) != chunk.rows ||
      ChunkTextDigest(text) != chunk.input_digest) {
    return changed("changed");
  }
  chunk.text = std::move(text);
  return Status::Ok();
}

}  // namespace inferd::jobs
