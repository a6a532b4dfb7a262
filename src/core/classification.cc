#include "core/classification.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <type_traits>

namespace inferd {
namespace {

// Triton refuses larger outputs ("classification output tensor too large").
constexpr int64_t kMaxClassifiedElements = 1'000'000;

template <typename T>
T ElementAt(const Tensor& t, int64_t i) {
  T v;
  std::memcpy(&v, t.data() + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

template <typename T>
void AppendTop(const Tensor& t, int64_t offset, int64_t classes, uint32_t count,
               const std::vector<std::string>& labels, std::vector<std::byte>& out) {
  std::vector<int64_t> order(static_cast<size_t>(classes));
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min<size_t>(count, order.size());
  // Highest first; ties keep the lower index first, as a stable sort does;
  // NaN ranks below every number (a strict weak order needs that).
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](int64_t a, int64_t b) {
                      const T va = ElementAt<T>(t, offset + a);
                      const T vb = ElementAt<T>(t, offset + b);
                      if constexpr (std::is_floating_point_v<T>) {
                        if (std::isnan(va) || std::isnan(vb)) {
                          return !std::isnan(va) || (std::isnan(vb) && a < b);
                        }
                      }
                      return va > vb || (va == vb && a < b);
                    });
  for (size_t i = 0; i < k; ++i) {
    const int64_t index = order[i];
    std::string entry =
        std::to_string(ElementAt<T>(t, offset + index)) + ":" + std::to_string(index);
    if (static_cast<size_t>(index) < labels.size())
      entry += ":" + labels[static_cast<size_t>(index)];
    AppendBytesElement(out, entry);
  }
}

}  // namespace

Status CheckClassifiable(const std::string& output, DataType dtype) {
  switch (dtype) {
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
    case DataType::kUint64:
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kFp32:
    case DataType::kFp64:
      return Status::Ok();
    default:
      return InvalidArgument("class result not available for output '" + output +
                             "' due to unsupported type '" + std::string(DataTypeName(dtype)) +
                             "'");
  }
}

StatusOr<Tensor> Classify(const Tensor& scores, uint32_t count, bool batched,
                          const std::vector<std::string>& labels) {
  INFERD_RETURN_IF_ERROR(CheckClassifiable(scores.name(), scores.dtype()));
  if (count == 0) return InvalidArgument("classification count must be positive");
  INFERD_ASSIGN_OR_RETURN(const int64_t elements, ElementCount(scores.shape()));
  if (elements > kMaxClassifiedElements) {
    return InvalidArgument("classification output tensor too large");
  }
  const int64_t rows = batched && !scores.shape().empty() ? scores.shape()[0] : 1;
  const int64_t classes = rows > 0 ? elements / rows : 0;
  const int64_t k = std::min<int64_t>(count, classes);
  std::vector<std::byte> out;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t offset = r * classes;
    switch (scores.dtype()) {
      case DataType::kUint8:
        AppendTop<uint8_t>(scores, offset, classes, count, labels, out);
        break;
      case DataType::kUint16:
        AppendTop<uint16_t>(scores, offset, classes, count, labels, out);
        break;
      case DataType::kUint32:
        AppendTop<uint32_t>(scores, offset, classes, count, labels, out);
        break;
      case DataType::kUint64:
        AppendTop<uint64_t>(scores, offset, classes, count, labels, out);
        break;
      case DataType::kInt8:
        AppendTop<int8_t>(scores, offset, classes, count, labels, out);
        break;
      case DataType::kInt16:
        AppendTop<int16_t>(scores, offset, classes, count, labels, out);
        break;
      case DataType::kInt32:
        AppendTop<int32_t>(scores, offset, classes, count, labels, out);
        break;
      case DataType::kInt64:
        AppendTop<int64_t>(scores, offset, classes, count, labels, out);
        break;
      case DataType::kFp32:
        AppendTop<float>(scores, offset, classes, count, labels, out);
        break;
      default:
        AppendTop<double>(scores, offset, classes, count, labels, out);
        break;
    }
  }
  Tensor result(scores.name(), DataType::kBytes, batched ? Shape{rows, k} : Shape{k});
  result.Adopt(std::move(out));
  return result;
}

}  // namespace inferd
