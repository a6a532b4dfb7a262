// AuditLog: the append-only, hash-chained JSON-lines file of security events
// (see observability/audit_line.h for the line format and the chain).
//
// What the chain proves: any edit, deletion, insertion or reordering of lines
// breaks it at the next line, and `inferd audit verify` reports where.
// What it does not: removing lines from the end leaves a shorter valid chain,
// and someone who can write the file can recompute every hash after an edit.
// Both are caught only against an anchor remembered outside the file (a
// (seq, hash) pair, see last_seq()/last_hash() and AuditVerifyOptions).
//
// Durability: each Append is one write(2) with O_APPEND of the full line plus
// newline, so a line reaches the kernel whole or (on error) the log stops
// accepting lines. Without `sync` a crash of the machine (not the process) can
// lose the most recent lines; with it, each Append waits for fdatasync(2).
//
// The AuditLog owns the file descriptor and an exclusive flock(2) on it, so a
// second AuditLog (in this or another process) cannot fork the chain.
// Thread-safe: Append and the accessors may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "observability/audit_line.h"

namespace inferd {

struct AuditLogOptions {
  // fdatasync(2) after every line: survives power loss, costs a disk flush
  // per event. Off by default.
  bool sync = false;
};

class AuditLog {
 public:
  // Opens `path` for appending, creating it with mode 0600 (an existing
  // file's mode is left alone). The chain continues from the file's last
  // line. Refuses (FAILED_PRECONDITION) a file whose last line is not a valid
  // audit line or lacks its newline, rather than start a second chain in a
  // damaged file; earlier lines are not read here (that is what verify is
  // for). Also refuses a file already held by another AuditLog, and anything
  // that is not a regular file. UNAVAILABLE when the file cannot be opened.
  static StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path,
                                                  AuditLogOptions options = {});

  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Writes one line for `event`. UNAVAILABLE when nothing was written (the
  // event is lost, the chain is unchanged: the caller may retry). When the
  // write was cut short or the sync failed, the file may hold a partial or
  // lost line: this call returns INTERNAL and every later one
  // FAILED_PRECONDITION, until an operator checks the file and the server
  // reopens it.
  Status Append(const AuditEvent& event);

  // The (seq, hash) of the last line written or found: the anchor to keep
  // elsewhere (0 and kAuditGenesisHash for an empty log).
  uint64_t last_seq() const;
  std::string last_hash() const;

  const std::string& path() const { return path_; }

 private:
  AuditLog(std::string path, int fd, AuditLogOptions options, uint64_t seq, std::string hash);

  const std::string path_;
  const int fd_;
  const AuditLogOptions options_;

  mutable std::mutex mu_;
  uint64_t seq_;         // guarded by mu_
  std::string hash_;     // guarded by mu_: AuditLineHash of the last line
  bool broken_ = false;  // guarded by mu_
};

}  // namespace inferd
