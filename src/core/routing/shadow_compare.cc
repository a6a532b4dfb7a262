#include "core/routing/shadow_compare.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace inferd {
namespace {

bool IsFloat(DataType t) {
  return t == DataType::kFp16 || t == DataType::kFp32 || t == DataType::kFp64 ||
         t == DataType::kBf16;
}

// Element `i` of a numeric tensor as a double.
double ValueAt(const Tensor& t, size_t i) {
  const std::byte* p = t.data() + i * DataTypeByteSize(t.dtype());
  auto read = [p]<typename T>(T) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return static_cast<double>(v);
  };
  switch (t.dtype()) {
    case DataType::kBool:
    case DataType::kUint8:
      return read(uint8_t{});
    case DataType::kUint16:
      return read(uint16_t{});
    case DataType::kUint32:
      return read(uint32_t{});
    case DataType::kUint64:
      return read(uint64_t{});
    case DataType::kInt8:
      return read(int8_t{});
    case DataType::kInt16:
      return read(int16_t{});
    case DataType::kInt32:
      return read(int32_t{});
    case DataType::kInt64:
      return read(int64_t{});
    case DataType::kFp16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return HalfToFloat(h);
    }
    case DataType::kBf16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return Bf16ToFloat(h);
    }
    case DataType::kFp32:
      return read(float{});
    case DataType::kFp64:
      return read(double{});
    default:
      return 0;
  }
}

void CompareNumeric(const Tensor& a, const Tensor& b, OutputComparison& out) {
  const size_t size = DataTypeByteSize(a.dtype());
  const size_t n = size == 0 ? 0 : a.byte_size() / size;
  if (n != (size == 0 ? 0 : b.byte_size() / size)) {
    out.mismatch = true;
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    double diff = std::fabs(ValueAt(a, i) - ValueAt(b, i));
    if (std::isnan(diff)) diff = std::isnan(ValueAt(a, i)) && std::isnan(ValueAt(b, i)) ? 0 : 1e300;
    out.abs_diff_sum += diff;
    out.abs_diff_max = std::max(out.abs_diff_max, diff);
  }
  out.values = n;
  if (!IsFloat(a.dtype())) {
    // Integers and booleans are labels: each element is a row's answer.
    out.rows = n;
    for (size_t i = 0; i < n; ++i) out.rows_agreeing += ValueAt(a, i) == ValueAt(b, i);
    return;
  }
  // Scores with a class axis: the argmax of each row is its label.
  const Shape& shape = a.shape();
  if (shape.size() < 2 || shape.back() < 2) return;
  const size_t classes = static_cast<size_t>(shape.back());
  const size_t rows = n / classes;
  auto argmax = [classes](const Tensor& t, size_t row) {
    size_t best = 0;
    for (size_t c = 1; c < classes; ++c) {
      if (ValueAt(t, row * classes + c) > ValueAt(t, row * classes + best)) best = c;
    }
    return best;
  };
  out.rows = rows;
  for (size_t r = 0; r < rows; ++r) out.rows_agreeing += argmax(a, r) == argmax(b, r);
}

void CompareStrings(const Tensor& a, const Tensor& b, OutputComparison& out) {
  auto count = ElementCount(a.shape());
  if (!count.ok()) {
    out.mismatch = true;
    return;
  }
  auto left = SplitBytesElements(a.bytes(), *count);
  auto right = SplitBytesElements(b.bytes(), *count);
  if (!left.ok() || !right.ok()) {
    out.mismatch = true;
    return;
  }
  out.rows = left->size();
  for (size_t i = 0; i < left->size(); ++i) out.rows_agreeing += (*left)[i] == (*right)[i];
}

}  // namespace

std::vector<OutputComparison> CompareOutputs(const std::vector<Tensor>& primary,
                                             const std::vector<Tensor>& shadow) {
  std::vector<OutputComparison> out;
  out.reserve(primary.size());
  for (const Tensor& a : primary) {
    OutputComparison& c = out.emplace_back();
    c.name = a.name();
    auto b = std::find_if(shadow.begin(), shadow.end(),
                          [&](const Tensor& t) { return t.name() == a.name(); });
    if (b == shadow.end() || b->dtype() != a.dtype() || b->shape() != a.shape()) {
      // Every row of a mismatched output disagrees.
      c.mismatch = true;
      c.rows = a.shape().empty() ? 1 : static_cast<uint64_t>(std::max<int64_t>(1, a.shape()[0]));
      continue;
    }
    if (a.dtype() == DataType::kBytes) {
      CompareStrings(a, *b, c);
    } else {
      CompareNumeric(a, *b, c);
    }
  }
  return out;
}

}  // namespace inferd
