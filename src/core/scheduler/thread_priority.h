// Background threads: Linux's SCHED_IDLE for the calling thread, so it runs
// only on CPU time nothing else wants (a shadow's model instance, a batch
// job's parsing and writing). Lowering one's own priority needs no privilege.
//
// Thread-safety: affects the calling thread only.
#pragma once

#include <string_view>

namespace inferd {

// Logs a warning naming `what` when the kernel refuses.
void RunThisThreadWhenIdle(std::string_view what);

}  // namespace inferd
