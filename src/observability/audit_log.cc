#include "observability/audit_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace inferd {
namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}

struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) close(fd);
  }
};

// Reads exactly `size` bytes at `offset`.
Status PreadAll(int fd, char* buf, size_t size, off_t offset) {
  while (size > 0) {
    const ssize_t n = pread(fd, buf, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unavailable("read failed: " + ErrnoText(errno));
    if (n == 0) return Unavailable("file shrank while reading");
    buf += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return Status::Ok();
}

// The last line of a file of `size` bytes, without its newline; "" when the
// file is empty. FAILED_PRECONDITION when the file does not end in a newline
// or its last line is longer than any the writer produces.
StatusOr<std::string> ReadLastLine(int fd, off_t size) {
  if (size == 0) return std::string();
  char last = 0;
  INFERD_RETURN_IF_ERROR(PreadAll(fd, &last, 1, size - 1));
  if (last != '\n') {
    return FailedPrecondition("it ends with a partial line (no final newline)");
  }
  // The last line lies in the kMaxAuditLineBytes (+1 for the newline before
  // it) bytes before the final newline; one read is enough.
  const off_t body = size - 1;
  const off_t window = std::min<off_t>(body, static_cast<off_t>(kMaxAuditLineBytes) + 1);
  std::string buf(static_cast<size_t>(window), '\0');
  INFERD_RETURN_IF_ERROR(PreadAll(fd, buf.data(), buf.size(), body - window));
  const size_t nl = buf.rfind('\n');
  if (nl == std::string::npos) {
    if (window < body) return FailedPrecondition("its last line is longer than 1 MiB");
    return buf;  // the file holds one line
  }
  return buf.substr(nl + 1);
}

}  // namespace

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path,
                                                   AuditLogOptions options) {
  const int fd = open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot open audit log " + path + ": " + ErrnoText(errno));
  FdGuard guard{fd};  // closes fd on every early return below
  const auto refuse = [&path](const std::string& why) {
    return FailedPrecondition("refusing audit log " + path + ": " + why +
                              "; check it with `inferd audit verify` and repair or move it");
  };
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return Unavailable("cannot stat audit log " + path + ": " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) return refuse("it is not a regular file");
  // Two writers would each continue the chain from the same line.
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return FailedPrecondition("audit log " + path + " is already open by another writer");
    }
    return Unavailable("cannot lock audit log " + path + ": " + ErrnoText(errno));
  }
  // Size after taking the lock: nobody else appends now.
  if (fstat(fd, &st) != 0) {
    return Unavailable("cannot stat audit log " + path + ": " + ErrnoText(errno));
  }
  StatusOr<std::string> last = ReadLastLine(fd, st.st_size);
  if (!last.ok()) {
    if (last.status().code() == StatusCode::kFailedPrecondition) {
      return refuse(last.status().message());
    }
    return Unavailable("cannot read audit log " + path + ": " + last.status().message());
  }
  uint64_t seq = 0;
  std::string hash(kAuditGenesisHash);
  if (st.st_size > 0) {
    StatusOr<ParsedAuditLine> parsed = ParseAuditLine(*last);
    if (!parsed.ok()) {
      return refuse("its last line is not a valid audit line (" + parsed.status().message() + ")");
    }
    seq = parsed->seq;
    hash = AuditLineHash(*last);
    if (hash.empty()) return Internal("audit log " + path + ": SHA-256 failed");
  }
  guard.fd = -1;
  return std::unique_ptr<AuditLog>(new AuditLog(path, fd, options, seq, std::move(hash)));
}

AuditLog::AuditLog(std::string path, int fd, AuditLogOptions options, uint64_t seq,
                   std::string hash)
    : path_(std::move(path)), fd_(fd), options_(options), seq_(seq), hash_(std::move(hash)) {}

// Closing the descriptor also drops the flock.
AuditLog::~AuditLog() {
  close(fd_);
}

Status AuditLog::Append(const AuditEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) {
    return FailedPrecondition("audit log " + path_ +
                              " stopped after a failed write; verify it and restart");
  }
  // The clock is read under the lock so times follow seq order.
  std::string line = FormatAuditLine(event, seq_ + 1, hash_, std::chrono::system_clock::now());
  std::string new_hash = AuditLineHash(line);
  if (new_hash.empty()) return Internal("audit log " + path_ + ": SHA-256 failed");
  line += '\n';
  // One write(2) of the whole line; the loop only matters after EINTR or a
  // short write (disk full), where the file already holds part of a line.
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? ErrnoText(errno) : "wrote nothing";
      if (written == 0) return Unavailable("audit log " + path_ + ": write failed: " + why);
      broken_ = true;
      return Internal("audit log " + path_ + ": partial line written (" + why +
                      "); the log is damaged");
    }
    written += static_cast<size_t>(n);
  }
  ++seq_;
  hash_ = std::move(new_hash);
  if (options_.sync && fdatasync(fd_) != 0) {
    // After a failed fdatasync the kernel may have dropped the dirty pages:
    // whether the line is on disk is unknown, so stop here.
    broken_ = true;
    return Internal("audit log " + path_ + ": fdatasync failed: " + ErrnoText(errno));
  }
  return Status::Ok();
}

uint64_t AuditLog::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

std::string AuditLog::last_hash() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hash_;
}

}  // namespace inferd
