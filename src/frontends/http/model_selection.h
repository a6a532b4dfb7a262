// The model for a route whose path names none (MLflow's /invocations, the
// simple /predict): the name the request gives, else the server's
// --default-model, else the repository's only model.
#pragma once

#include <string>
#include <string_view>

#include "core/server_core.h"

namespace inferd::http {

// An InvalidArgument error that lists the models when none can be chosen;
// `how` says how a request names one (e.g. "the X-Model header").
StatusOr<std::string> SelectModel(const ServerCore& core, std::string_view given,
                                  std::string_view default_model, std::string_view how);

}  // namespace inferd::http
