// An RFC 4180 CSV reader for untrusted request bodies: the first record is
// the header (column names), the rest are rows of text fields.
//
// Accepted: CRLF or LF record ends, a UTF-8 byte order mark, quoted fields
// (with "" for a quote, and commas and line breaks inside), blank lines
// (skipped, as pandas skips them). Rejected with the line number: a quote
// inside an unquoted field, text after a closing quote, an unterminated
// quoted field, and a row whose field count differs from the header's.
// Fields are not trimmed or converted here; the tabular codec converts them
// per the model input's datatype.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frontends/http/tabular_codec.h"

namespace inferd::http {

class CsvTable : public Table {
 public:
  static StatusOr<CsvTable> Parse(std::string_view text);

  size_t num_rows() const override { return rows_; }
  size_t num_columns() const override { return header_.size(); }
  const std::vector<std::string>& columns() const override { return header_; }
  Status Row(size_t r, std::vector<Cell>& cells) const override;

  // Field `c` of row `r`, unescaped.
  std::string_view Field(size_t r, size_t c) const;

 private:
  std::vector<std::string> header_;
  std::string arena_;  // every data field's unescaped bytes, back to back
  std::vector<std::pair<size_t, size_t>> fields_;  // (offset, length) in arena_, row-major
  size_t rows_ = 0;
};

}  // namespace inferd::http
