#include "jobs/job_rows.h"

#include <cstring>

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

}  // namespace inferd::jobs
