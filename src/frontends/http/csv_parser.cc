#include "frontends/http/csv_parser.h"

namespace inferd::http {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  // The line the last record read starts on.
  size_t record_line() const { return record_line_; }

  // At a line end (LF or CRLF)? Consumes it when so.
  bool TakeLineEnd() {
    if (pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
      return true;
    }
    if (pos_ + 1 < text_.size() && text_[pos_] == '\r' && text_[pos_ + 1] == '\n') {
      pos_ += 2;
      ++line_;
      return true;
    }
    return false;
  }

  // Reads one record's fields, appending them to `out` (each as its arena
  // range); false at the end of the text.
  StatusOr<bool> ReadRecord(std::string& arena, std::vector<std::pair<size_t, size_t>>& out) {
    while (!AtEnd() && TakeLineEnd()) {
    }  // blank lines
    if (AtEnd()) return false;
    record_line_ = line_;
    while (true) {
      const size_t start = arena.size();
      INFERD_RETURN_IF_ERROR(ReadField(arena));
      out.emplace_back(start, arena.size() - start);
      if (AtEnd() || TakeLineEnd()) return true;
      if (text_[pos_] != ',') return Error("expected ',' or a line end");
      ++pos_;
    }
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgument("CSV line " + std::to_string(line_) + ": " + std::string(what));
  }

  bool AtLineEnd() const {
    return pos_ < text_.size() &&
           (text_[pos_] == '\n' ||
            (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n'));
  }

  Status ReadField(std::string& arena) {
    if (pos_ < text_.size() && text_[pos_] == '"') return ReadQuoted(arena);
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && !AtLineEnd()) {
      if (text_[pos_] == '"') return Error("a quote inside an unquoted field");
      ++pos_;
    }
    arena.append(text_.substr(start, pos_ - start));
    return Status::Ok();
  }

  Status ReadQuoted(std::string& arena) {
    const size_t first_line = line_;
    ++pos_;  // the opening quote
    while (true) {
      const size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) {
        return InvalidArgument("CSV line " + std::to_string(first_line) +
                               ": a quoted field is not closed");
      }
      for (size_t i = pos_; i < quote; ++i) line_ += text_[i] == '\n' ? 1 : 0;
      arena.append(text_.substr(pos_, quote - pos_));
      pos_ = quote + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        arena.push_back('"');
        ++pos_;
        continue;
      }
      if (AtEnd() || text_[pos_] == ',' || AtLineEnd()) return Status::Ok();
      return Error("text after a closing quote");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t record_line_ = 1;
};

}  // namespace

StatusOr<CsvTable> CsvTable::Parse(std::string_view text) {
  CsvTable table;
  Reader reader(text);
  std::string header_arena;
  std::vector<std::pair<size_t, size_t>> header_fields;
  INFERD_ASSIGN_OR_RETURN(bool has_header, reader.ReadRecord(header_arena, header_fields));
  if (!has_header) return InvalidArgument("the CSV body is empty: it needs a header row");
  for (const auto& [offset, length] : header_fields) {
    table.header_.emplace_back(header_arena, offset, length);
  }
  const size_t width = table.header_.size();
  while (true) {
    const size_t before = table.fields_.size();
    INFERD_ASSIGN_OR_RETURN(bool more, reader.ReadRecord(table.arena_, table.fields_));
    if (!more) break;
    const size_t got = table.fields_.size() - before;
    if (got != width) {
      return InvalidArgument("CSV line " + std::to_string(reader.record_line()) + " has " +
                             std::to_string(got) + " fields, the header has " +
                             std::to_string(width));
    }
    ++table.rows_;
  }
  return table;
}

std::string_view CsvTable::Field(size_t r, size_t c) const {
  const auto& [offset, length] = fields_[r * header_.size() + c];
  return std::string_view(arena_).substr(offset, length);
}

Status CsvTable::Row(size_t r, std::vector<Cell>& cells) const {
  cells.clear();
  for (size_t c = 0; c < header_.size(); ++c) cells.push_back(Cell::Text(Field(r, c)));
  return Status::Ok();
}

}  // namespace inferd::http
