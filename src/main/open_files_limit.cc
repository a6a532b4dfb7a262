#include "main/open_files_limit.h"

#include <sys/resource.h>

#include <fstream>

namespace inferd {
namespace {

// What one process may open at most when the hard limit says unlimited.
rlim_t KernelMaximum() {
  std::ifstream in("/proc/sys/fs/nr_open");
  rlim_t value = 0;
  if (in >> value && value > 0) return value;
  return 1 << 20;  // the kernel's default nr_open
}

}  // namespace

OpenFilesLimit RaiseOpenFilesLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  OpenFilesLimit result{limit.rlim_cur, limit.rlim_cur};
  const rlim_t want = limit.rlim_max == RLIM_INFINITY ? KernelMaximum() : limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < want) {
    rlimit raised{want, limit.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) result.now = want;
  }
  return result;
}

}  // namespace inferd
