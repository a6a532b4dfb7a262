// Cell values into one model input's elements: the tabular codec's element
// conversion (see tabular_codec.h for which values each datatype takes).
// Not thread-safe; one sink per input, used by one thread.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/model_signature.h"
#include "frontends/http/tabular_codec.h"

namespace inferd::http {

class ElementSink {
 public:
  // `spec` must outlive the sink.
  explicit ElementSink(const TensorSpec& spec);

  // Elements appended so far.
  int64_t count() const { return count_; }
  // The buffer, in the tensor layout (BYTES elements length-prefixed).
  std::vector<std::byte> Take() { return std::move(buffer_); }
  void Reserve(size_t elements);

  // Appends a cell's elements (a nested JSON array is flattened), converted
  // to the input's datatype; `where` names the cell in error messages.
  Status Append(const Cell& cell, const std::string& where);

 private:
  template <typename T>
  void Put(T value);
  void PutDouble(double d);
  template <typename T>
  Status PutJsonInteger(simdjson::dom::element e, const std::string& where);
  template <typename T>
  Status PutTextInteger(std::string_view s, const std::string& where);
  Status Mismatch(const std::string& where, std::string_view got) const;
  Status AppendJson(simdjson::dom::element e, const std::string& where, int depth);
  Status AppendText(std::string_view s, const std::string& where);

  const TensorSpec& spec_;
  std::vector<std::byte> buffer_;
  int64_t count_ = 0;
};

}  // namespace inferd::http
