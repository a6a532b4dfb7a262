// Which malloc the process runs on. inferd links jemalloc (not in the
// sanitizer build, where ASan owns malloc): with glibc's allocator a quarter
// of the server's CPU went to malloc and free on 1,024-row batches (perf),
// and in alternating runs jemalloc served 11-29% more W1 requests with about
// a fifth less memory after load (bench/RESULTS.md). Stateless, thread-safe.
#pragma once

#include <string>

namespace inferd {

// "jemalloc 5.3.0-..." when it serves malloc; "system" in a build without
// it; "system (jemalloc linked, not in use)" if something else took malloc
// over (an LD_PRELOAD, say).
std::string MemoryAllocatorName();

}  // namespace inferd
