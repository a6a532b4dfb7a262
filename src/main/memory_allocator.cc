#include "main/memory_allocator.h"

#include <cstdint>
#include <cstdlib>

#ifdef INFERD_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace inferd {

std::string MemoryAllocatorName() {
#ifdef INFERD_JEMALLOC
  const char* version = nullptr;
  size_t size = sizeof(version);
  if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr) return "system";
  // Linked is not enough: malloc must resolve to it. This thread's count of
  // bytes jemalloc handed out grows with a malloc only if it served it.
  const std::string name = std::string("jemalloc ") + version;
  uint64_t before = 0;
  uint64_t after = 0;
  size = sizeof(before);
  if (mallctl("thread.allocated", &before, &size, nullptr, 0) != 0) {
    return name + " (not checked: its statistics are off)";
  }
  void* (*volatile allocate)(size_t) = std::malloc;  // not elided by the compiler
  void* block = allocate(4096);
  size = sizeof(after);
  const int read = mallctl("thread.allocated", &after, &size, nullptr, 0);
  std::free(block);
  if (read == 0 && after > before) return name;
  return "system (jemalloc linked, not in use)";
#else
  return "system";
#endif
}

}  // namespace inferd
