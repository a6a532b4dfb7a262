#include "core/tensor.h"

#include <cstring>
#include <limits>
#include <memory>

namespace inferd {

StatusOr<int64_t> ElementCount(const Shape& shape, int64_t limit) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) return InvalidArgument("shape " + ShapeToString(shape) + " has a negative dim");
    if (dim != 0 && count > limit / dim) {
      return InvalidArgument("shape " + ShapeToString(shape) + " has too many elements");
    }
    count *= dim;
  }
  return count;
}

bool ShapeMatches(const Shape& pattern, const Shape& actual) {
  if (pattern.size() != actual.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != -1 && pattern[i] != actual[i]) return false;
  }
  return true;
}

std::string ShapeToString(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(shape[i]);
  }
  out += "]";
  return out;
}

namespace {

// Tensor storage comes in 16-byte chunks, so every element type is aligned.
struct alignas(16) StorageChunk {
  std::byte bytes[16];
};

// Leaves the chunks uninitialized: the caller overwrites them. With
// allocate_shared, buffer and reference count are one allocation
// (make_shared_for_overwrite would do it; libstdc++ 12 lacks it for arrays).
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  using value_type = T;
  DefaultInitAllocator() = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) {}
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  template <typename U>
  void construct(U* p) {
    ::new (static_cast<void*>(p)) U;
  }
};

}  // namespace

std::byte* Tensor::Allocate(size_t size) {
  const size_t chunks = size == 0 ? 1 : (size + sizeof(StorageChunk) - 1) / sizeof(StorageChunk);
  auto buffer = std::allocate_shared<StorageChunk[]>(DefaultInitAllocator<StorageChunk>{}, chunks);
  data_ = buffer.get()->bytes;
  size_ = size;
  owner_ = std::shared_ptr<const void>(std::move(buffer), data_);
  return const_cast<std::byte*>(data_);
}

void Tensor::Borrow(std::span<const std::byte> bytes, std::shared_ptr<const void> owner) {
  data_ = bytes.data();
  size_ = bytes.size();
  owner_ = std::move(owner);
}

void Tensor::Adopt(std::vector<std::byte> buffer) {
  auto owned = std::make_shared<std::vector<std::byte>>(std::move(buffer));
  data_ = owned->data();
  size_ = owned->size();
  owner_ = std::move(owned);
}

void AppendBytesElement(std::vector<std::byte>& out, std::string_view element) {
  const auto len = static_cast<uint32_t>(element.size());
  const size_t at = out.size();
  out.resize(at + 4 + element.size());
  const unsigned char prefix[4] = {
      static_cast<unsigned char>(len), static_cast<unsigned char>(len >> 8),
      static_cast<unsigned char>(len >> 16), static_cast<unsigned char>(len >> 24)};
  std::memcpy(out.data() + at, prefix, 4);
  if (!element.empty()) std::memcpy(out.data() + at + 4, element.data(), element.size());
}

StatusOr<std::vector<std::string_view>> SplitBytesElements(std::span<const std::byte> buffer,
                                                           int64_t count) {
  std::vector<std::string_view> elements;
  if (count < 0 || static_cast<uint64_t>(count) > buffer.size() / 4) {
    return InvalidArgument("BYTES data of " + std::to_string(buffer.size()) +
                           " bytes cannot hold " + std::to_string(count) + " elements");
  }
  elements.reserve(static_cast<size_t>(count));
  size_t pos = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (buffer.size() - pos < 4) return InvalidArgument("BYTES data ends inside a length prefix");
    const auto* p = reinterpret_cast<const unsigned char*>(buffer.data() + pos);
    const uint32_t len =
        uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
    pos += 4;
    if (buffer.size() - pos < len)
      return InvalidArgument("BYTES element length runs past the data");
    elements.emplace_back(reinterpret_cast<const char*>(buffer.data() + pos), len);
    pos += len;
  }
  if (pos != buffer.size()) {
    return InvalidArgument("BYTES data has " + std::to_string(buffer.size() - pos) +
                           " bytes after its " + std::to_string(count) + " elements");
  }
  return elements;
}

}  // namespace inferd
