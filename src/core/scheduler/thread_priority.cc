#include "core/scheduler/thread_priority.h"

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "observability/log.h"

namespace inferd {

void RunThisThreadWhenIdle(std::string_view what) {
  sched_param param{};
  if (sched_setscheduler(0, SCHED_IDLE, &param) != 0) {
    LogWarn("thread not set to idle priority",
            {{"thread", std::string(what)}, {"reason", std::string(std::strerror(errno))}});
  }
}

}  // namespace inferd
