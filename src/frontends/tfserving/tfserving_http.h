// TF Serving's REST API (and KServe v1's model list) on inferd's HTTP port.
//
//   GET  /v1/models                                  {"models": [name, ...]} (KServe v1)
//   GET  /v1/models/{m}[/versions/{v}|/labels/{l}]   model version status
//   GET  ...same.../metadata                         model_spec + SignatureDef
//   POST ...same...:predict|:classify|:regress       see tfserving_json.h, tf_examples.h
//
// GET /v1/models/{m} answers TF Serving's status shape, not KServe v1's
// {"name", "ready"}: the paths collide and TF clients depend on theirs.
// Errors are {"error": message} with TF Serving's status codes. Labels are
// not configured yet, so every /labels/{l} path answers 404.
#pragma once

#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::tfserving {

void AddTfServingHttpRoutes(ServerCore* core, http::Router& router);

// TF Serving's HTTP status for a core status.
unsigned TfHttpStatusFor(const Status& status);

}  // namespace inferd::tfserving
