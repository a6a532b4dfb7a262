#include "jobs/job_validator.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "frontends/http/csv_parser.h"
#include "jobs/job_rows.h"

namespace inferd::jobs {
namespace {

constexpr size_t kChunksPerWrite = 128;
// A row longer than this fails the job: a CSV quote left open, or a file
// without line ends, would otherwise be held whole and scanned again at
// every block.
constexpr size_t kMaxRowBytes = 16 << 20;

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Checks the first row, where the whole file is at stake.
Status CheckFirstRow(const JobRecord& job, const ModelSignature& signature, std::string_view header,
                     std::string_view row) {
  const JobSpec& spec = job.spec;
  if (spec.input_format == JobFormat::kJsonl) {
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    if (auto error = parser.parse(row.data(), row.size()).get(e); error) {
      return InvalidArgument(std::string("the input is not JSONL: its first row is not JSON (") +
                             simdjson::error_message(error) + ")");
    }
    if (!spec.key_field.empty() && !e.is_object()) {
      return InvalidArgument("key_field '" + spec.key_field + "' needs rows that are JSON objects");
    }
    return Status::Ok();
  }
  auto table = http::CsvTable::Parse(std::string(header) + "\n");
  if (!table.ok()) {
    return InvalidArgument("the input's CSV header does not parse: " + table.status().message());
  }
  std::vector<std::string> columns = table->columns();
  if (!spec.key_field.empty()) {
    auto it = std::find(columns.begin(), columns.end(), spec.key_field);
    if (it == columns.end()) {
      return InvalidArgument("the CSV header has no column '" + spec.key_field +
                             "' (key_field); its columns: " + Names(table->columns()));
    }
    columns.erase(it);
  }
  return CheckCsvColumns(columns, signature);
}

class ChunkCutter {
 public:
  ChunkCutter(const JobRecord& job, JobStore& store) : job_(job), store_(store) {}

  // `offset`: where the row starts in the input file.
  Status Add(std::string_view row, int64_t offset) {
    if (current_.rows == 0) {
      current_.job_id = job_.id;
      current_.index = chunks_;
      current_.first_row = rows_;
      current_.header = header_;
      current_.input_offset = offset;
    }
    current_.input_bytes = offset + static_cast<int64_t>(row.size()) - current_.input_offset;
    AppendChunkRow(current_.text, row);
    ++current_.rows;
    ++rows_;
    if (current_.rows >= job_.chunk_rows) return Close();
    return Status::Ok();
  }
  Status Finish() {
    if (current_.rows > 0) INFERD_RETURN_IF_ERROR(Close());
    return Flush();
  }
  void set_header(std::string header) { header_ = std::move(header); }
  const std::string& header() const { return header_; }
  int64_t rows() const { return rows_; }
  int64_t chunks() const { return chunks_; }

 private:
  Status Close() {
    current_.input_digest = ChunkTextDigest(current_.text);
    pending_.push_back(std::move(current_));
    current_ = JobChunk{};
    ++chunks_;
    if (pending_.size() >= kChunksPerWrite) return Flush();
    return Status::Ok();
  }
  Status Flush() {
    if (pending_.empty()) return Status::Ok();
    Status s = store_.AddChunks(pending_);
    pending_.clear();
    return s;
  }

  const JobRecord& job_;
  JobStore& store_;
  std::string header_;
  JobChunk current_;
  std::vector<JobChunk> pending_;
  int64_t rows_ = 0;
  int64_t chunks_ = 0;
};

}  // namespace

Status CheckCsvColumns(const std::vector<std::string>& columns, const ModelSignature& signature) {
  std::vector<std::string> inputs;
  for (const auto& input : signature.inputs) inputs.push_back(input.name);
  const bool all_named =
      !columns.empty() && std::all_of(columns.begin(), columns.end(), [&](const std::string& c) {
        return std::find(inputs.begin(), inputs.end(), c) != inputs.end();
      });
  if (all_named || inputs.size() == 1 || columns.size() == inputs.size()) return Status::Ok();
  return InvalidArgument("the CSV columns (" + Names(columns) +
                         ") do not fit the model's inputs (" + Names(inputs) +
                         "): name a column after each input, or give one column per input");
}

StatusOr<ValidatedInput> ValidateInput(const JobRecord& job, const ModelSignature& signature,
                                       const std::filesystem::path& input, JobStore& store,
                                       const std::atomic<bool>& stop, BackgroundBudget* budget) {
  std::ifstream in(input, std::ios::binary);
  if (!in) return InvalidArgument("cannot read the job's input " + input.string());
  ChunkCutter cutter(job, store);
  const bool csv = job.spec.input_format == JobFormat::kCsv;
  bool header_seen = !csv;
  bool first = true;
  bool bom_checked = false;
  std::string buffer;
  int64_t buffer_offset = 0;  // where buffer[0] is in the file
  std::vector<char> block(kInputBlock);
  uint64_t file_digest = 0;
  std::vector<std::string_view> rows;
  bool at_end = false;
  const auto cancelled = [] {
    return Status(StatusCode::kCancelled, "the job was cancelled while it was validated");
  };
  while (!at_end) {
    const BudgetUnit unit(budget);
    if (stop.load()) return cancelled();  // after the unit: taking it may wait
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<size_t>(in.gcount());
    at_end = got < block.size();
    if (got > 0) file_digest = NextInputDigest(file_digest, std::string_view(block.data(), got));
    buffer.append(block.data(), got);
    if (!bom_checked && (buffer.size() >= 3 || at_end)) {
      bom_checked = true;
      if (buffer.compare(0, 3, "\xEF\xBB\xBF") == 0) {  // a byte order mark
        buffer.erase(0, 3);
        buffer_offset = 3;
      }
    }
    rows.clear();
    const size_t used = SplitRows(job.spec.input_format, buffer, at_end, rows);
    for (std::string_view row : rows) {
      if (!header_seen) {
        header_seen = true;
        cutter.set_header(std::string(row));
        continue;
      }
      if (first) {
        INFERD_RETURN_IF_ERROR(CheckFirstRow(job, signature, cutter.header(), row));
        first = false;
      }
      INFERD_RETURN_IF_ERROR(cutter.Add(row, buffer_offset + (row.data() - buffer.data())));
    }
    buffer.erase(0, used);
    buffer_offset += static_cast<int64_t>(used);
    if (buffer.size() > kMaxRowBytes) {
      return InvalidArgument("row " + std::to_string(cutter.rows()) +
                             " of the input is longer than " + std::to_string(kMaxRowBytes >> 20) +
                             " MiB (a CSV quote left open, or no line ends?)");
    }
  }
  if (!header_seen) return InvalidArgument("the CSV input is empty: it needs a header row");
  if (cutter.rows() == 0) return InvalidArgument("the input has no rows");
  const BudgetUnit unit(budget);
  if (stop.load()) return cancelled();
  INFERD_RETURN_IF_ERROR(cutter.Finish());
  return ValidatedInput{cutter.rows(), cutter.chunks(), file_digest};
}

}  // namespace inferd::jobs
