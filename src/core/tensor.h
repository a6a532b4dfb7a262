// Tensor: a named, typed, shaped run of bytes, protocol-free.
//
// The bytes are either owned by the tensor or borrowed from a buffer kept alive
// by `owner` (for example the HTTP body a binary input arrived in), so a
// decoder can hand received bytes to the engine without copying them.
// BYTES tensors hold their elements serialized as the KServe binary extension
// does: a 4-byte little-endian length, then the bytes, per element.
// Not thread-safe; a tensor is built by one thread and then only read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace inferd {

using Shape = std::vector<int64_t>;

// Number of elements of a fully specified shape; an error for a negative dim or
// a product past `limit`.
StatusOr<int64_t> ElementCount(const Shape& shape, int64_t limit = int64_t{1} << 40);
// True when `actual` matches `pattern`, where -1 in the pattern matches any dim.
bool ShapeMatches(const Shape& pattern, const Shape& actual);
std::string ShapeToString(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  Tensor(std::string name, DataType dtype, Shape shape)
      : name_(std::move(name)), dtype_(dtype), shape_(std::move(shape)) {}

  const std::string& name() const { return name_; }
  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  void set_shape(Shape shape) { shape_ = std::move(shape); }

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::byte* data() const { return data_; }
  size_t byte_size() const { return size_; }
  template <typename T>
  const T* data_as() const {
    return reinterpret_cast<const T*>(data_);
  }

  // Allocates `size` owned bytes (uninitialized) and returns them for filling.
  std::byte* Allocate(size_t size);
  // Points at bytes owned elsewhere; `owner` keeps them alive.
  void Borrow(std::span<const std::byte> bytes, std::shared_ptr<const void> owner);
  // Takes a filled buffer.
  void Adopt(std::vector<std::byte> buffer);

 private:
  std::string name_;
  DataType dtype_ = DataType::kInvalid;
  Shape shape_;
  std::shared_ptr<const void> owner_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

// Appends one serialized BYTES element.
void AppendBytesElement(std::vector<std::byte>& out, std::string_view element);
// Splits a serialized BYTES buffer into exactly `count` elements; an error when
// the lengths do not add up to the buffer.
StatusOr<std::vector<std::string_view>> SplitBytesElements(std::span<const std::byte> buffer,
                                                           int64_t count);

}  // namespace inferd
