#include "frontends/tfserving/tf_types.h"

#include <array>
#include <utility>

namespace inferd::tfserving {
namespace {

struct Entry {
  DataType type;
  int number;
  std::string_view name;
};

constexpr std::array<Entry, 14> kTypes = {{
    {DataType::kFp32, 1, "DT_FLOAT"},
    {DataType::kFp64, 2, "DT_DOUBLE"},
    {DataType::kInt32, 3, "DT_INT32"},
    {DataType::kUint8, 4, "DT_UINT8"},
    {DataType::kInt16, 5, "DT_INT16"},
    {DataType::kInt8, 6, "DT_INT8"},
    {DataType::kBytes, 7, "DT_STRING"},
    {DataType::kInt64, 9, "DT_INT64"},
    {DataType::kBool, 10, "DT_BOOL"},
    {DataType::kBf16, 14, "DT_BFLOAT16"},
    {DataType::kUint16, 17, "DT_UINT16"},
    {DataType::kFp16, 19, "DT_HALF"},
    {DataType::kUint32, 22, "DT_UINT32"},
    {DataType::kUint64, 23, "DT_UINT64"},
}};

// The types TensorFlow has that inferd does not serve, for error messages.
constexpr std::array<std::pair<int, std::string_view>, 10> kOtherTypes = {{
    {0, "DT_INVALID"},
    {8, "DT_COMPLEX64"},
    {11, "DT_QINT8"},
    {12, "DT_QUINT8"},
    {13, "DT_QINT32"},
    {15, "DT_QINT16"},
    {16, "DT_QUINT16"},
    {18, "DT_COMPLEX128"},
    {20, "DT_RESOURCE"},
    {21, "DT_VARIANT"},
}};

}  // namespace

int TfDataTypeNumber(DataType type) {
  for (const Entry& e : kTypes) {
    if (e.type == type) return e.number;
  }
  return 0;
}

DataType FromTfDataTypeNumber(int number) {
  for (const Entry& e : kTypes) {
    if (e.number == number) return e.type;
  }
  return DataType::kInvalid;
}

std::string_view TfDataTypeName(DataType type) {
  for (const Entry& e : kTypes) {
    if (e.type == type) return e.name;
  }
  return "DT_INVALID";
}

std::string_view TfDataTypeNumberName(int number) {
  for (const Entry& e : kTypes) {
    if (e.number == number) return e.name;
  }
  for (const auto& [n, name] : kOtherTypes) {
    if (n == number) return name;
  }
  return "";
}

}  // namespace inferd::tfserving
