#include "jobs/job_results.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "jobs/job_rows.h"

namespace inferd::jobs {
namespace {

// Appends a CSV field, quoted when it must be (RFC 4180).
void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string CellText(simdjson::dom::element e) {
  if (e.is_string()) return std::string(e.get_string().value());
  if (e.is_null()) return "";
  return simdjson::minify(e);
}

// The CSV columns come from the first line that has each part.
class CsvRenderer {
 public:
  explicit CsvRenderer(const JobSpec& spec) : spec_(spec) {}

  // Renders the lines; the header goes before the first rendered line.
  Status Render(std::string_view lines, std::string& out) {
    std::vector<std::string_view> rows;
    SplitRows(JobFormat::kJsonl, lines, true, rows);
    for (std::string_view line : rows) {
      simdjson::dom::element e;
      if (auto error = parser_.parse(line.data(), line.size()).get(e); error) {
        return Internal(std::string("a recorded result line is not JSON: ") +
                        simdjson::error_message(error));
      }
      if (!header_written_) {
        Learn(e);
        held_.emplace_back(line);
        if (!complete_) continue;
        WriteHeader(out);
        // Rendered with the header known (the parser moves on: `e` is gone).
        std::vector<std::string> held = std::move(held_);
        held_.clear();
        for (const std::string& h : held) INFERD_RETURN_IF_ERROR(Render(h, out));
        continue;
      }
      WriteLine(e, out);
    }
    return Status::Ok();
  }
  // Writes what was held (every row failed, or had no input): the header with
  // what is known.
  Status Finish(std::string& out) {
    if (header_written_) return Status::Ok();
    complete_ = true;
    WriteHeader(out);
    std::vector<std::string> held = std::move(held_);
    held_.clear();
    for (const std::string& h : held) INFERD_RETURN_IF_ERROR(Render(h, out));
    return Status::Ok();
  }

 private:
  void Learn(simdjson::dom::element line) {
    simdjson::dom::object input, prediction;
    if (spec_.join_input && !inputs_known_ && !line["input"].get(input)) {
      for (auto field : input) inputs_.emplace_back(field.key);
      inputs_known_ = true;
    }
    if (!outputs_known_ && !line["prediction"].get(prediction)) {
      for (auto field : prediction) outputs_.emplace_back(field.key);
      outputs_known_ = true;
    }
    complete_ = outputs_known_ && (inputs_known_ || !spec_.join_input);
  }
  void WriteHeader(std::string& out) {
    header_written_ = true;
    std::vector<std::string> names{"row"};
    if (!spec_.key_field.empty()) names.push_back("key");
    for (const auto& i : inputs_) names.push_back(i);
    for (const auto& o : outputs_) names.push_back(o);
    names.push_back("error_status");
    names.push_back("error_message");
    for (size_t i = 0; i < names.size(); ++i) {
      if (i > 0) out += ',';
      AppendCsvField(out, names[i]);
    }
    out += '\n';
  }
  void WriteLine(simdjson::dom::element line, std::string& out) {
    auto field = [&](simdjson::dom::element parent, std::string_view name) {
      simdjson::dom::element value;
      return parent[name].get(value) ? std::string() : CellText(value);
    };
    out += field(line, "row");
    if (!spec_.key_field.empty()) {
      out += ',';
      AppendCsvField(out, field(line, "key"));
    }
    simdjson::dom::element input, prediction, error;
    const bool has_input = !line["input"].get(input) && input.is_object();
    for (const auto& name : inputs_) {
      out += ',';
      if (has_input) AppendCsvField(out, field(input, name));
    }
    const bool has_prediction = !line["prediction"].get(prediction);
    for (const auto& name : outputs_) {
      out += ',';
      if (has_prediction) AppendCsvField(out, field(prediction, name));
    }
    const bool has_error = !line["error"].get(error);
    out += ',';
    if (has_error) out += field(error, "status");
    out += ',';
    if (has_error) AppendCsvField(out, field(error, "message"));
    out += '\n';
  }

  const JobSpec& spec_;
  simdjson::dom::parser parser_;
  std::vector<std::string> inputs_, outputs_;
  bool inputs_known_ = false, outputs_known_ = false, complete_ = false;
  bool header_written_ = false;
  std::vector<std::string> held_;  // lines before the columns were known
};

class File {
 public:
  explicit File(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool SyncAndClose() {
    const bool ok = ::fsync(fd_) == 0;
    const bool closed = ::close(fd_) == 0;
    fd_ = -1;
    return ok && closed;
  }

 private:
  int fd_;
};

}  // namespace

Status WriteResultsFile(JobStore& store, const JobRecord& job, const std::filesystem::path& out) {
  std::error_code ec;
  std::filesystem::create_directories(out.parent_path(), ec);
  const std::filesystem::path tmp = out.string() + ".tmp";
  File file(tmp);
  if (!file.ok()) return Internal("cannot write " + tmp.string());
  const bool csv = job.spec.output_format == JobFormat::kCsv;
  CsvRenderer renderer(job.spec);
  std::string text;
  Status read = store.ReadResults(job.id, [&](std::string_view lines) -> Status {
    if (csv) {
      text.clear();
      INFERD_RETURN_IF_ERROR(renderer.Render(lines, text));
      if (!file.Write(text)) return Internal("cannot write " + tmp.string());
    } else if (!file.Write(lines)) {
      return Internal("cannot write " + tmp.string());
    }
    return Status::Ok();
  });
  if (read.ok() && csv) {
    text.clear();
    read = renderer.Finish(text);
    if (read.ok() && !file.Write(text)) read = Internal("cannot write " + tmp.string());
  }
  if (!read.ok() || !file.SyncAndClose()) {
    std::filesystem::remove(tmp, ec);
    return read.ok() ? Internal("cannot write " + tmp.string()) : read;
  }
  std::filesystem::rename(tmp, out, ec);
  if (ec) return Internal("cannot move the results into place: " + ec.message());
  // The rename is durable once the directory is.
  const int dir = ::open(out.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

}  // namespace inferd::jobs
