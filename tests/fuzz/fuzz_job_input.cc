// libFuzzer target: what a batch job reads from its submitter. The first byte
// picks: the job API's JSON submission (a parsed one names exactly one
// input), or a job's input file cut into rows as JSONL or CSV (every row lies
// inside the input, in order, without a line end outside a quoted CSV field,
// and the bytes taken never exceed the input).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "frontends/jobs/job_json.h"
#include "jobs/job_rows.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 3 == 0) {
    auto submission = inferd::jobsfe::ParseJobSubmission(text);
    if (submission.ok() && submission->rows.has_value() == !submission->input_file.empty()) {
      std::abort();
    }
    return 0;
  }
  const auto format = data[0] % 3 == 1 ? inferd::JobFormat::kJsonl : inferd::JobFormat::kCsv;
  for (bool at_end : {false, true}) {
    std::vector<std::string_view> rows;
    const size_t used = inferd::jobs::SplitRows(format, text, at_end, rows);
    if (used > text.size() || (at_end && used != text.size())) std::abort();
    const char* previous_end = text.data();
    for (std::string_view row : rows) {
      if (row.data() < previous_end || row.data() + row.size() > text.data() + used) std::abort();
      if (format == inferd::JobFormat::kJsonl && row.find('\n') != std::string_view::npos) {
        std::abort();
      }
      previous_end = row.data() + row.size();
    }
  }
  return 0;
}
