// Removes the fields a protobuf text-format document has that a message type
// does not know, at any depth, and names each one.
//
// protobuf's own parser can skip unknown fields, but not in every syntax
// Triton configs use (a list of messages without a colon, `model_warmup [ {
// ... } ]`, fails), so inferd filters the text first and then parses it
// strictly. Removed text is blanked (newlines kept) so line numbers in later
// parse errors still point into the original file.
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>
#include <string_view>
#include <vector>

namespace inferd {

struct FilteredText {
  std::string text;
  std::vector<std::string> removed;  // "line N: field 'a.b' is not supported; ignored"
};

// On text it cannot follow (unbalanced brackets, a bad token) it returns the
// text unchanged and lets the strict parser report the error.
FilteredText RemoveUnknownTextFields(std::string_view text,
                                     const google::protobuf::Descriptor* type);

}  // namespace inferd
