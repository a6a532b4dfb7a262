#include "core/lifecycle/version_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace inferd {
namespace {

namespace fs = std::filesystem;

Status Errno(std::string_view what, const fs::path& path) {
  return Unavailable("cannot " + std::string(what) + " " + path.string() + ": " +
                     std::strerror(errno));
}

Status WriteAndSync(const fs::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", path);
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status failed = Errno("write", path);
      ::close(fd);
      return failed;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status failed = Errno("flush", path);
    ::close(fd);
    return failed;
  }
  if (::close(fd) != 0) return Errno("close", path);
  return Status::Ok();
}

Status SyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Errno("flush", dir);
}

// A name no other writer in this or another process picks at the same time.
std::string TempName(std::string_view stem) {
  static std::atomic<uint64_t> counter{0};
  return "." + std::string(stem) + "." + std::to_string(::getpid()) + "." +
         std::to_string(counter++) + ".tmp";
}

}  // namespace

Status WriteVersionDir(const fs::path& model_dir, int64_t version,
                       const std::vector<VersionFile>& files) {
  const fs::path target = model_dir / std::to_string(version);
  std::error_code ec;
  fs::create_directories(model_dir, ec);
  if (ec) return Unavailable("cannot create " + model_dir.string() + ": " + ec.message());
  if (fs::exists(target, ec)) {
    return AlreadyExists("version directory " + target.string() + " already exists");
  }
  const fs::path temp = model_dir / TempName(std::to_string(version));
  if (!fs::create_directory(temp, ec)) {
    return Unavailable("cannot create " + temp.string() + ": " + ec.message());
  }
  auto fail = [&](Status status) {
    fs::remove_all(temp, ec);
    return status;
  };
  for (const VersionFile& file : files) {
    if (Status s = WriteAndSync(temp / file.name, file.bytes); !s.ok()) return fail(s);
  }
  if (Status s = SyncDir(temp); !s.ok()) return fail(s);
  // rename(2) fails on an existing non-empty directory, so a racing writer
  // of the same version cannot be overwritten.
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      return fail(AlreadyExists("version directory " + target.string() + " already exists"));
    }
    return fail(Errno("rename into", target));
  }
  return SyncDir(model_dir);
}

Status WriteFileAtomically(const fs::path& path, std::string_view bytes) {
  const fs::path dir = path.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir.string() + ": " + ec.message());
  const fs::path temp = dir / TempName(path.filename().string());
  if (Status s = WriteAndSync(temp, bytes); !s.ok()) {
    fs::remove(temp, ec);
    return s;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Status failed = Errno("rename into", path);
    fs::remove(temp, ec);
    return failed;
  }
  return SyncDir(dir);
}

}  // namespace inferd
