// Bodies of the KServe/Triton model repository extension over HTTP:
// index {"ready": bool}, load {"parameters": {"config": "<json>"}}, unload
// {"parameters": {"unload_dependents": bool}}. All bodies may be empty.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd::kserve {

// The body as a JSON object; nullopt when the body is empty.
StatusOr<std::optional<simdjson::dom::object>> ParseOptionalObject(std::string_view body);

// Why a load parameter other than "config" (a string) is refused: file
// overrides are UNSUPPORTED, anything else INVALID_ARGUMENT. Both protocols
// answer with it.
Status UnknownLoadParameter(std::string_view key);

// The config override of a load request; nullopt when none is given.
StatusOr<std::optional<std::string>> LoadConfigOverride(simdjson::dom::object body);

// The version of a label request {"version": N} (a positive integer, or its
// decimal string).
StatusOr<int64_t> LabelVersion(simdjson::dom::object body);

}  // namespace inferd::kserve
