// The process's limit on open files, raised at start as far as it may go.
// Each connection, model file and database takes a descriptor, and Linux's
// usual soft limit (1,024) is below what a server with a thousand keep-alive
// clients needs; the hard limit is what the administrator allows. (nginx
// sets it from worker_rlimit_nofile; Go's runtime raises it the same way.)
// Stateless; call once, from main, before the servers start.
#pragma once

#include <cstdint>

namespace inferd {

struct OpenFilesLimit {
  uint64_t before = 0;
  uint64_t now = 0;  // 0 when the limit could not be read
};

// Raises the soft RLIMIT_NOFILE to the hard one (unlimited: to what the
// kernel's nr_open allows). Never lowers it.
OpenFilesLimit RaiseOpenFilesLimit();

}  // namespace inferd
