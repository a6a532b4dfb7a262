#include "core/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits>

namespace inferd {

// One mmap of [0, offset + byte_size) of a shared-memory object, and the
// object itself, kept open to check its size before each use.
struct SharedMemoryRegions::Mapping {
  void* base = MAP_FAILED;
  size_t length = 0;
  int fd = -1;
  ~Mapping() {
    if (base != MAP_FAILED) ::munmap(base, length);
    if (fd >= 0) ::close(fd);
  }
};

Status SharedMemoryRegions::Register(const std::string& name, const std::string& key,
                                     uint64_t offset, uint64_t byte_size, bool client_is_local) {
  if (!allow_register_) {
    return Unsupported(
        "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to "
        "enable.");
  }
  if (!client_is_local) {
    return PermissionDenied(
        "shared memory regions can be registered only by clients on this host (loopback)");
  }
  if (name.empty()) {
    return InvalidArgument("'region name' is necessary to register system shared memory region");
  }
  if (key.empty() || key.find('/', 1) != std::string::npos) {
    return InvalidArgument("failed to register shared memory region '" + name +
                           "': the key must name a shared memory object, as \"/name\"");
  }
  {
    std::lock_guard lock(mu_);
    if (regions_.count(name)) {
      return AlreadyExists("shared memory region '" + name + "' already in manager");
    }
  }
  const int fd = ::shm_open(key.c_str(), O_RDWR, 0);
  if (fd < 0) return Internal("Unable to open shared memory region: '" + key + "'");
  struct stat st {};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  const uint64_t object_size = stat_ok ? static_cast<uint64_t>(st.st_size) : 0;
  if (byte_size == 0 || offset > std::numeric_limits<uint64_t>::max() - byte_size ||
      offset + byte_size > object_size) {
    ::close(fd);
    return InvalidArgument("failed to register shared memory region '" + name +
                           "': invalid args (offset " + std::to_string(offset) + " + byte_size " +
                           std::to_string(byte_size) + " is past the object's " +
                           std::to_string(object_size) + " bytes)");
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->length = static_cast<size_t>(offset + byte_size);
  mapping->fd = fd;
  mapping->base = ::mmap(nullptr, mapping->length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapping->base == MAP_FAILED) {
    return Internal("Unable to map shared memory region: '" + key + "'");
  }
  std::lock_guard lock(mu_);
  auto [it, inserted] = regions_.try_emplace(name, Region{{name, key, offset, byte_size}, mapping});
  if (!inserted) return AlreadyExists("shared memory region '" + name + "' already in manager");
  return Status::Ok();
}

Status SharedMemoryRegions::Unregister(const std::string& name) {
  std::lock_guard lock(mu_);
  if (name.empty()) {
    regions_.clear();
  } else {
    regions_.erase(name);
  }
  return Status::Ok();
}

StatusOr<std::vector<SharedMemoryRegionInfo>> SharedMemoryRegions::List(
    const std::string& name) const {
  std::lock_guard lock(mu_);
  std::vector<SharedMemoryRegionInfo> out;
  if (!name.empty()) {
    auto it = regions_.find(name);
    if (it == regions_.end()) {
      return NotFound("Unable to find system shared memory region: '" + name + "'");
    }
    out.push_back(it->second.info);
    return out;
  }
  for (const auto& [_, region] : regions_) out.push_back(region.info);
  return out;
}

StatusOr<SharedMemoryRegions::View> SharedMemoryRegions::Find(const std::string& name,
                                                              uint64_t offset,
                                                              uint64_t byte_size) const {
  std::lock_guard lock(mu_);
  auto it = regions_.find(name);
  if (it == regions_.end()) {
    return NotFound("Unable to find shared memory region: '" + name + "'");
  }
  const SharedMemoryRegionInfo& info = it->second.info;
  if (offset >= info.byte_size && !(offset == 0 && byte_size == 0)) {
    return InvalidArgument("Invalid offset for shared memory region: '" + name + "'");
  }
  if (byte_size > std::numeric_limits<uint64_t>::max() - offset) {
    return InvalidArgument("Integer overflow detected: byte_size (" + std::to_string(byte_size) +
                           ") + offset (" + std::to_string(offset) +
                           ") exceeds maximum value for region '" + name + "'");
  }
  if (offset + byte_size > info.byte_size) {
    return InvalidArgument("Invalid offset + byte size for shared memory region: '" + name + "'");
  }
  // Touching pages past the end of a shrunk object would raise SIGBUS.
  struct stat st {};
  if (::fstat(it->second.mapping->fd, &st) != 0 ||
      static_cast<uint64_t>(st.st_size) < it->second.mapping->length) {
    return InvalidArgument("shared memory region '" + name +
                           "' is smaller than when it was registered; register it again");
  }
  auto* start = static_cast<std::byte*>(it->second.mapping->base) + info.offset + offset;
  return View{std::span<std::byte>(start, static_cast<size_t>(byte_size)), it->second.mapping};
}

}  // namespace inferd
