// Mapping between ONNX tensor element types and inferd datatypes.
#pragma once

#include <onnxruntime_c_api.h>

#include "core/dtype.h"

namespace inferd::ort {

// kInvalid for element types inferd does not serve (complex, float8, int4...).
DataType FromOrtType(ONNXTensorElementDataType type);
ONNXTensorElementDataType ToOrtType(DataType type);

}  // namespace inferd::ort
