#include "main/request_pipeline.h"

#include "pipeline/filters/access_log_filter.h"
#include "pipeline/filters/request_id_filter.h"
#include "pipeline/filters/trace_context_filter.h"

namespace inferd {

StatusOr<RequestPipeline> BuildRequestPipeline(const ServeOptions& options) {
  RequestPipeline built;
  built.pipeline = std::make_shared<pipeline::Pipeline>();
  pipeline::Pipeline& chain = *built.pipeline;
  // Ids first, so every later refusal and log line carries them; the
  // access log last in, first out (its OnDone sees every other filter's work).
  chain.Add(std::make_unique<pipeline::RequestIdFilter>());
  chain.Add(std::make_unique<pipeline::TraceContextFilter>());
  if (!options.access_log.empty()) {
    auto access_log = pipeline::AccessLogFilter::Open(options.access_log);
    if (!access_log.ok()) return access_log.status();
    chain.Add(std::move(access_log).value());
  }
  const auto mode = options.admin_api == "on"    ? pipeline::AdminApiMode::kOn
                    : options.admin_api == "off" ? pipeline::AdminApiMode::kOff
                                                 : pipeline::AdminApiMode::kLoopback;
  auto admin = std::make_unique<pipeline::AdminAccessFilter>(mode);
  built.admin_access = admin.get();
  chain.Add(std::move(admin));
  return built;
}

}  // namespace inferd
