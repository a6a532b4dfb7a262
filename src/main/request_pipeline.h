// Composes the request pipeline from the serve flags: the filters every
// request of every protocol runs through, in order.
//
// Ownership: the result owns the pipeline and its filters; `admin_access`
// points into it. Build once at start; the pipeline is thread-safe after.
#pragma once

#include <memory>

#include "core/status.h"
#include "main/serve_command.h"
#include "pipeline/filters/admin_access_filter.h"
#include "pipeline/pipeline.h"

namespace inferd {

struct RequestPipeline {
  std::shared_ptr<pipeline::Pipeline> pipeline;
  const pipeline::AdminAccessFilter* admin_access = nullptr;
};

StatusOr<RequestPipeline> BuildRequestPipeline(const ServeOptions& options);

}  // namespace inferd
