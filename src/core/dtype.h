// Tensor element types, named as KServe v2 names them, and the conversions
// the wire codecs need (half and bfloat16 from and to float).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace inferd {

enum class DataType : uint8_t {
  kInvalid,
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kFp32,
  kFp64,
  kBf16,
  kBytes,  // variable-length; serialized as 4-byte LE length + bytes per element
};

// "FP32", "BYTES", ... ("" for kInvalid).
std::string_view DataTypeName(DataType type);
// Parses a KServe name; kInvalid when unknown.
DataType DataTypeFromName(std::string_view name);

// Triton config names: "TYPE_FP32", "TYPE_STRING" for BYTES.
std::string_view DataTypeConfigName(DataType type);
DataType DataTypeFromConfigName(std::string_view name);

// Size of one element in bytes; 0 for BYTES and kInvalid.
size_t DataTypeByteSize(DataType type);

float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);  // round to nearest even
float Bf16ToFloat(uint16_t b);
uint16_t FloatToBf16(float f);  // round to nearest even

}  // namespace inferd
