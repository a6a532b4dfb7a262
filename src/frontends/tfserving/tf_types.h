// TensorFlow's DataType enum (numbers and "DT_*" names) for inferd's
// datatypes, shared by TF Serving's REST and gRPC translators.
#pragma once

#include <string_view>

#include "core/dtype.h"

namespace inferd::tfserving {

// The tensorflow.DataType number for `type` (0, DT_INVALID, for kInvalid).
int TfDataTypeNumber(DataType type);
// The inferd datatype for a tensorflow.DataType number; kInvalid for types
// inferd does not serve (complex, quantized, resource, variant, ...).
DataType FromTfDataTypeNumber(int number);
// "DT_FLOAT", "DT_STRING", ... as TF Serving's JSON writes them.
std::string_view TfDataTypeName(DataType type);
// The name for a TF DataType number, or "" when it is not one TensorFlow
// defines (for messages about types inferd does not serve).
std::string_view TfDataTypeNumberName(int number);

}  // namespace inferd::tfserving
