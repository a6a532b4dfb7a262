#include "core/scheduler/execution_report.h"

namespace inferd {
namespace {

thread_local const ExecutionReport* t_current = nullptr;

}  // namespace

const ExecutionReport* CurrentExecutionReport() {
  return t_current;
}

ScopedExecutionReport::ScopedExecutionReport(const ExecutionReport* report) : previous_(t_current) {
  t_current = report;
}

ScopedExecutionReport::~ScopedExecutionReport() {
  t_current = previous_;
}

}  // namespace inferd
