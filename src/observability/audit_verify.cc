#include "observability/audit_verify.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "observability/audit_line.h"

namespace inferd {
namespace {

enum class LineEnd { kNewline, kPartial, kEof, kTooLong, kReadError };

// Reads up to the next '\n' into `line` (without it), never holding more than
// kMaxAuditLineBytes.
LineEnd ReadLine(std::istream& in, std::string& line) {
  line.clear();
  std::streambuf* buf = in.rdbuf();
  if (buf == nullptr) return LineEnd::kReadError;
  while (true) {
    const std::streambuf::int_type c = buf->sbumpc();
    if (std::streambuf::traits_type::eq_int_type(c, std::streambuf::traits_type::eof())) {
      return line.empty() ? LineEnd::kEof : LineEnd::kPartial;
    }
    const char ch = std::streambuf::traits_type::to_char_type(c);
    if (ch == '\n') return LineEnd::kNewline;
    if (line.size() == kMaxAuditLineBytes) return LineEnd::kTooLong;
    line += ch;
  }
}

AuditVerifyResult Fail(AuditVerifyResult result, uint64_t line_no, const std::string& why) {
  result.ok = false;
  result.first_error = "line " + std::to_string(line_no) + ": " + why;
  return result;
}

}  // namespace

AuditVerifyResult VerifyAuditFile(std::istream& in, const AuditVerifyOptions& options) {
  AuditVerifyResult result;
  result.last_hash = std::string(kAuditGenesisHash);
  std::string anchor_hash;  // hash of line options.expect_last_seq, once seen
  std::string line;
  while (true) {
    const uint64_t line_no = result.lines + 1;
    const LineEnd end = ReadLine(in, line);
    if (end == LineEnd::kEof) break;
    if (end == LineEnd::kReadError) return Fail(result, line_no, "cannot read the stream");
    if (end == LineEnd::kTooLong) return Fail(result, line_no, "longer than 1 MiB");
    if (end == LineEnd::kPartial) {
      return Fail(result, line_no,
                  "partial line at the end of the file (no newline: an interrupted write?)");
    }
    if (line.empty()) return Fail(result, line_no, "empty line");
    StatusOr<ParsedAuditLine> parsed = ParseAuditLine(line);
    if (!parsed.ok()) return Fail(result, line_no, parsed.status().message());
    if (parsed->seq != line_no) {
      return Fail(result, line_no,
                  "seq " + std::to_string(parsed->seq) + " where " + std::to_string(line_no) +
                      " was expected (lines deleted, inserted or reordered)");
    }
    if (parsed->prev != result.last_hash) {
      if (line_no == 1) {
        return Fail(result, line_no, "prev is not 64 zeros (the start of the log is missing)");
      }
      return Fail(result, line_no,
                  "prev does not match the hash of line " + std::to_string(line_no - 1) +
                      " (line " + std::to_string(line_no - 1) +
                      " edited, or lines deleted, inserted or reordered)");
    }
    result.lines = line_no;
    result.last_seq = parsed->seq;
    result.last_hash = AuditLineHash(line);
    if (line_no == options.expect_last_seq) anchor_hash = result.last_hash;
  }
  if (options.expect_last_seq > result.last_seq) {
    result.first_error = "the log ends at seq " + std::to_string(result.last_seq) + " but seq " +
                         std::to_string(options.expect_last_seq) +
                         " was expected (lines removed from the end)";
    return result;
  }
  if (options.expect_last_seq > 0 && !options.expect_hash.empty() &&
      anchor_hash != options.expect_hash) {
    result.first_error = "line " + std::to_string(options.expect_last_seq) + ": hash " +
                         anchor_hash + " is not the expected " + options.expect_hash +
                         " (the log was rewritten up to or past that line)";
    return result;
  }
  result.ok = true;
  return result;
}

AuditVerifyResult VerifyAuditFile(const std::string& path, const AuditVerifyOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    AuditVerifyResult result;
    result.last_hash = std::string(kAuditGenesisHash);
    result.first_error = "cannot open " + path + ": " + std::strerror(errno);
    return result;
  }
  return VerifyAuditFile(in, options);
}

}  // namespace inferd
