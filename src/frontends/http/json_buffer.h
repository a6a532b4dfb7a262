// A rapidjson output stream that writes into a std::string, so a finished
// body is moved into the response instead of copied out of a StringBuffer.
// Characters go through an inline bounds check into the string's own bytes
// (RapidJSON writes numbers and strings a character at a time, and
// std::string::push_back is an out-of-line call in libstdc++: 10% of a batch
// job's time went there, bench/RESULTS.md W5job).
//
// Thread-compatible.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace inferd::http {

class JsonBuffer {
 public:
  using Ch = char;

  explicit JsonBuffer(size_t reserve = 256) { Grow(reserve); }
  JsonBuffer(JsonBuffer&& other) noexcept
      : text_(std::move(other.text_)), size_(other.size_), capacity_(other.capacity_) {
    data_ = text_.data();
    other.Clear();
  }
  JsonBuffer& operator=(JsonBuffer&& other) noexcept {
    text_ = std::move(other.text_);
    size_ = other.size_;
    capacity_ = other.capacity_;
    data_ = text_.data();
    other.Clear();
    return *this;
  }
  JsonBuffer(const JsonBuffer&) = delete;
  JsonBuffer& operator=(const JsonBuffer&) = delete;

  void Put(char c) {
    if (size_ == capacity_) Grow(1);
    data_[size_++] = c;
  }
  // Room for `count` more characters, which PutUnchecked may then write.
  void Reserve(size_t count) {
    if (capacity_ - size_ < count) Grow(count);
  }
  void PutUnchecked(char c) { data_[size_++] = c; }
  // Text written as it is (a value already JSON, a line end between values).
  void Append(std::string_view text) {
    Reserve(text.size());
    if (!text.empty()) std::memcpy(data_ + size_, text.data(), text.size());
    size_ += text.size();
  }
  void Flush() {}

  // NUL-terminated: one byte past the capacity is always there (written here,
  // so not to be called from two threads at once).
  const char* GetString() const {
    if (data_ == nullptr) return "";  // released
    data_[size_] = '\0';
    return data_;
  }
  size_t GetSize() const { return size_; }
  std::string Release() {
    text_.resize(size_);
    // Growth doubles: an answer far below its buffer gives the rest back.
    if (text_.capacity() > 2 * size_ + 4096) text_.shrink_to_fit();
    std::string out = std::move(text_);
    Clear();
    return out;
  }

 private:
  void Grow(size_t count) {
    const size_t want = std::max({size_ + count, capacity_ * 2, size_t{64}});
    text_.resize(want + 1);  // the last byte for GetString's NUL
    data_ = text_.data();
    capacity_ = want;
  }
  void Clear() {
    text_ = std::string();
    data_ = nullptr;
    size_ = 0;
    capacity_ = 0;
  }

  std::string text_;
  char* data_ = nullptr;  // text_'s bytes; text_.size() is capacity_ + 1
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// RapidJSON's writer reserves before it writes a number or an escaped
// string; these overloads (found by argument-dependent lookup) let it write
// them without a check per character.
inline void PutReserve(JsonBuffer& buffer, size_t count) {
  buffer.Reserve(count);
}
inline void PutUnsafe(JsonBuffer& buffer, char c) {
  buffer.PutUnchecked(c);
}

}  // namespace inferd::http
