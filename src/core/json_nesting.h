// A bound on how deeply a JSON text nests, checked before parsing: parsers
// that build and free values recursively (RapidJSON) could otherwise exhaust
// the stack on a hostile body. Pure; thread-safe.
#pragma once

#include <string_view>

namespace inferd {

// False when brackets outside strings nest deeper than `limit`. Malformed
// text may confuse the count, but the parser then refuses it anyway.
bool JsonNestingWithin(std::string_view text, int limit);

}  // namespace inferd
