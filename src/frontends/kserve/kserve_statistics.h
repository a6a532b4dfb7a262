// Triton's statistics extension: the core's per-version statistics in the
// JSON (GET /v2/models[/{m}[/versions/{v}]]/stats) and gRPC
// (ModelStatistics) shapes, with Triton's field names.
#pragma once

#include <string>
#include <vector>

#include "core/server_core.h"
#include "grpc_service.pb.h"

namespace inferd::kserve {

std::string StatisticsToJson(const std::vector<VersionStatistics>& stats);
void StatisticsToProto(const std::vector<VersionStatistics>& stats,
                       inference::ModelStatisticsResponse& out);

}  // namespace inferd::kserve
