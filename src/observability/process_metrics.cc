#include "observability/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace inferd {
namespace {

// Fields of /proc/self/stat after the command name (which may hold spaces),
// so field N of proc(5) is at index N - 3.
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double value = 0;
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

void Collect(MetricsRegistry& registry) {
  const auto fields = StatFields();
  if (fields.size() > 21) {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    const double cpu = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;  // utime + stime
    // A counter that is set: the kernel keeps the running total.
    Counter& cpu_counter = registry.GetCounter(
        "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {});
    cpu_counter.Increment(cpu - cpu_counter.value());
    registry.GetGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {})
        .Set(std::stod(fields[20]));
    registry.GetGauge("process_resident_memory_bytes", "Resident memory size in bytes.", {})
        .Set(std::stod(fields[21]) * page);
    registry
        .GetGauge("process_start_time_seconds",
                  "Start time of the process since unix epoch in seconds.", {})
        .Set(BootTimeSeconds() + std::stod(fields[19]) / ticks);
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  registry.GetGauge("process_open_fds", "Number of open file descriptors.", {}).Set(fds);
}

}  // namespace

void AddProcessMetrics(MetricsRegistry& registry) {
  registry.AddCollector(Collect);
}

}  // namespace inferd
