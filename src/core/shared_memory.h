// System shared-memory regions that clients on the same host register, so
// that tensors travel through memory instead of the socket (Triton's
// shared-memory extension). A region is a named window [offset, offset +
// byte_size) of a POSIX shared-memory object (shm_open key); requests then
// name a region, an offset in it and a byte size for an input to read or an
// output to write.
//
// Thread-safe. A mapping stays valid while any View of it is alive, so a
// region unregistered during an inference is unmapped when that inference
// lets go of it. Error texts are Triton's (shared_memory_manager.cc), which
// its clients show.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace inferd {

struct SharedMemoryRegionInfo {
  std::string name;
  std::string key;
  uint64_t offset = 0;
  uint64_t byte_size = 0;
};

class SharedMemoryRegions {
 public:
  // Registration is refused unless `allow_register` (--allow-client-shm):
  // a client names server-side memory objects, which only trusted local
  // clients should do.
  explicit SharedMemoryRegions(bool allow_register) : allow_register_(allow_register) {}

  // `client_is_local`: the caller came over loopback; others are refused, as
  // a remote client has no business naming this host's memory objects.
  Status Register(const std::string& name, const std::string& key, uint64_t offset,
                  uint64_t byte_size, bool client_is_local);
  // "" unregisters every region. An unknown name is not an error (Triton).
  Status Unregister(const std::string& name);
  // Every region, or the one named; NOT_FOUND for an unknown name.
  StatusOr<std::vector<SharedMemoryRegionInfo>> List(const std::string& name) const;

  struct View {
    std::span<std::byte> bytes;
    std::shared_ptr<const void> owner;  // keeps the mapping alive
  };
  // [offset, offset + byte_size) of region `name`, bounds checked, also
  // against the object's current size (a client may shrink it).
  StatusOr<View> Find(const std::string& name, uint64_t offset, uint64_t byte_size) const;

 private:
  struct Mapping;
  struct Region {
    SharedMemoryRegionInfo info;
    std::shared_ptr<Mapping> mapping;
  };
  const bool allow_register_;
  mutable std::mutex mu_;
  std::map<std::string, Region> regions_;
};

}  // namespace inferd
