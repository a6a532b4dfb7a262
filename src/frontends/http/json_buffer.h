// A rapidjson output stream that writes into a std::string, so a finished
// body is moved into the response instead of copied out of a StringBuffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace inferd::http {

class JsonBuffer {
 public:
  using Ch = char;

  explicit JsonBuffer(size_t reserve = 256) { text_.reserve(reserve); }

  void Put(char c) { text_.push_back(c); }
  // Text written as it is (a value already JSON, a line end between values).
  void Append(std::string_view text) { text_.append(text); }
  void Flush() {}

  const char* GetString() const { return text_.c_str(); }
  size_t GetSize() const { return text_.size(); }
  std::string Release() { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace inferd::http
