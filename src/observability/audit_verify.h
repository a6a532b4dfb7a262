// VerifyAuditFile: checks an audit log written by AuditLog (format in
// observability/audit_line.h) line by line and reports the first break.
//
// Checks: every line ends in a newline, is a JSON object with exactly the
// audit fields, seq runs 1, 2, 3, ..., the first line's prev is 64 zeros and
// every later prev is the SHA-256 of the line before. An edited, deleted,
// inserted or swapped line shows up at or right after the place of the
// change. Lines removed from the end, or a chain recomputed after an edit,
// show up only against an anchor kept outside the file (AuditVerifyOptions).
//
// Reads the stream once, keeping one line in memory. Free functions, no
// shared state: thread-safe.
#pragma once

#include <cstdint>
#include <istream>
#include <string>

namespace inferd {

// A (seq, hash) pair remembered from an earlier run (AuditLog::last_seq and
// last_hash, or an earlier verify's output).
struct AuditVerifyOptions {
  // When not 0: the file must reach at least this seq; catches lines removed
  // from the end.
  uint64_t expect_last_seq = 0;
  // When not empty (with expect_last_seq): the hash of line expect_last_seq
  // must be this; catches a history rewritten up to and past that line.
  std::string expect_hash;
};

struct AuditVerifyResult {
  bool ok = false;
  // Lines that passed, i.e. all of them when ok, else those before the
  // first broken one.
  uint64_t lines = 0;
  // E.g. "line 7: prev does not match the hash of line 6 (line 6 edited, or
  // lines deleted, inserted or reordered)"; empty when ok.
  std::string first_error;
  // seq and hash of the last line that passed (0 and 64 zeros when none):
  // the anchor to remember for the next verify.
  uint64_t last_seq = 0;
  std::string last_hash;
};

AuditVerifyResult VerifyAuditFile(std::istream& in, const AuditVerifyOptions& options = {});
// The same for a file; not ok, with the reason, when it cannot be opened.
AuditVerifyResult VerifyAuditFile(const std::string& path, const AuditVerifyOptions& options = {});

}  // namespace inferd
