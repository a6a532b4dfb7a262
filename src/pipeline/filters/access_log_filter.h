// --access-log FILE: one JSON object per line for every request of every
// protocol, refused ones included: time, request id, trace and span ids,
// client, identity, protocol, route, model, version, status, bytes in and
// out, and the total time. "-" writes to standard output.
//
// Ownership: owns the file. Thread-safety: OnDone may run on any thread;
// lines are written whole, one at a time.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "pipeline/filter.h"

namespace inferd::pipeline {

class AccessLogFilter final : public Filter {
 public:
  static StatusOr<std::unique_ptr<AccessLogFilter>> Open(const std::string& path);
  ~AccessLogFilter() override;
  void OnDone(const RequestContext& context, const Outcome& outcome) override;
  // The line OnDone writes (without the newline); public for tests.
  static std::string Render(const RequestContext& context, const Outcome& outcome);

 private:
  AccessLogFilter(std::FILE* file, bool owned) : file_(file), owned_(owned) {}
  std::mutex mu_;
  std::FILE* file_;
  bool owned_;
};

}  // namespace inferd::pipeline
