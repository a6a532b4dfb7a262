#include "jobs/numeric_rows.h"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace inferd::jobs {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

void SkipSpace(const char*& p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
}

// A JSON number (RFC 8259's grammar) at `p`. Integers read as the general
// path reads them (an int64, then converted); integers of more than 15
// digits and "-0" are left to it, where rounding or sign could differ.
bool ReadNumber(const char*& p, const char* end, double& out) {
  const char* start = p;
  if (p < end && *p == '-') ++p;
  if (p == end) return false;
  if (*p == '0') {
    ++p;
  } else if (IsDigit(*p)) {
    while (p < end && IsDigit(*p)) ++p;
  } else {
    return false;
  }
  bool integer = true;
  if (p < end && *p == '.') {
    integer = false;
    const char* digits = ++p;
    while (p < end && IsDigit(*p)) ++p;
    if (p == digits) return false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    integer = false;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    const char* digits = p;
    while (p < end && IsDigit(*p)) ++p;
    if (p == digits) return false;
  }
  if (integer) {
    const bool negative = start[0] == '-';
    const auto digits = p - start - (negative ? 1 : 0);
    if (digits > 15 || (negative && digits == 1 && start[1] == '0')) return false;
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(start, p, value);
    if (ec != std::errc() || ptr != p) return false;
    out = static_cast<double>(value);
    return true;
  }
  const auto [ptr, ec] = std::from_chars(start, p, out);
  return ec == std::errc() && ptr == p;
}

// One row, `[n, n, ...]` with exactly `width` numbers, into `out`.
template <typename T>
bool ReadRow(std::string_view row, size_t width, T* out) {
  const char* p = row.data();
  const char* end = p + row.size();
  SkipSpace(p, end);
  if (p == end || *p != '[') return false;
  ++p;
  for (size_t i = 0; i < width; ++i) {
    SkipSpace(p, end);
    double value = 0;
    if (!ReadNumber(p, end, value)) return false;
    out[i] = static_cast<T>(value);
    SkipSpace(p, end);
    if (p == end) return false;
    if (*p == (i + 1 == width ? ']' : ',')) {
      ++p;
    } else {
      return false;
    }
  }
  SkipSpace(p, end);
  return p == end;
}

template <typename T>
std::optional<Tensor> ReadRows(const TensorSpec& input, size_t width,
                               std::span<const std::string_view> rows) {
  Tensor tensor(input.name, input.dtype,
                {static_cast<int64_t>(rows.size()), static_cast<int64_t>(width)});
  T* data = reinterpret_cast<T*>(tensor.Allocate(rows.size() * width * sizeof(T)));
  for (size_t r = 0; r < rows.size(); ++r) {
    if (!ReadRow(rows[r], width, data + r * width)) return std::nullopt;
  }
  return tensor;
}

}  // namespace

std::optional<Tensor> NumericJsonlRows(const ModelSignature& signature,
                                       std::span<const std::string_view> rows) {
  if (signature.inputs.size() != 1 || rows.empty()) return std::nullopt;
  const TensorSpec& input = signature.inputs[0];
  if (input.shape.size() != 2 || input.shape[0] != -1 || input.shape[1] <= 0) return std::nullopt;
  const auto width = static_cast<size_t>(input.shape[1]);
  if (input.dtype == DataType::kFp32) return ReadRows<float>(input, width, rows);
  if (input.dtype == DataType::kFp64) return ReadRows<double>(input, width, rows);
  return std::nullopt;
}

}  // namespace inferd::jobs
