#include "storage/wal_index_watch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

namespace inferd {
namespace {

// The wal-index header: two copies of 48 bytes; writers update the second,
// then the first, readers read the first, then the second, and trust them
// only when they agree.
constexpr size_t kHeaderBytes = 48;
constexpr size_t kMappedBytes = 2 * kHeaderBytes;
constexpr size_t kIsInitOffset = 12;  // u8: the header has been written

}  // namespace

std::unique_ptr<WalIndexWatch> WalIndexWatch::Open(const std::filesystem::path& database) {
  const std::string shm = database.string() + "-shm";
  const int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(kMappedBytes)) {
    ::close(fd);
    return nullptr;
  }
  void* map = ::mmap(nullptr, kMappedBytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<WalIndexWatch>(
      new WalIndexWatch(fd, static_cast<const volatile uint8_t*>(map)));
}

WalIndexWatch::~WalIndexWatch() {
  ::munmap(const_cast<uint8_t*>(map_), kMappedBytes);
  ::close(fd_);
}

bool WalIndexWatch::Read(Header& out) const {
  for (int attempt = 0; attempt < 3; ++attempt) {
    Header second;
    for (size_t i = 0; i < kHeaderBytes; ++i) out[i] = map_[i];
    std::atomic_thread_fence(std::memory_order_acquire);
    for (size_t i = 0; i < kHeaderBytes; ++i) second[i] = map_[kHeaderBytes + i];
    if (out == second && out[kIsInitOffset] != 0) return true;
  }
  return false;
}

}  // namespace inferd
