#include "core/config_text_filter.h"

#include <cctype>
#include <utility>

namespace inferd {
namespace {

class Filter {
 public:
  Filter(std::string_view text, FilteredText& out) : text_(text), out_(out) {}

  // Parses fields until `close` (or end of input when close is 0).
  bool Fields(const google::protobuf::Descriptor* type, char close, const std::string& path) {
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size()) return close == 0;
      if (text_[pos_] == close) {
        ++pos_;
        return true;
      }
      const size_t start = pos_;
      std::string name;
      if (text_[pos_] == '[') {  // extension or Any type URL: never known here
        const size_t end = text_.find(']', pos_);
        if (end == std::string_view::npos) return false;
        name = std::string(text_.substr(pos_, end + 1 - pos_));
        pos_ = end + 1;
      } else {
        name = Identifier();
        if (name.empty()) return false;
      }
      const google::protobuf::FieldDescriptor* field = type ? type->FindFieldByName(name) : nullptr;
      const google::protobuf::Descriptor* child =
          field && field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE
              ? field->message_type()
              : nullptr;
      const std::string child_path = path.empty() ? name : path + "." + name;
      SkipSpace();
      if (Peek(':')) {
        ++pos_;
        SkipSpace();
      }
      if (!Value(field ? child : nullptr, child_path)) return false;
      SkipSpace();
      if (Peek(',') || Peek(';')) ++pos_;
      if (type != nullptr && field == nullptr) {
        out_.removed.push_back("line " + std::to_string(LineOf(start)) + ": field '" + child_path +
                               "' is not supported; ignored");
        Blank(start, pos_);
      }
    }
  }

 private:
  bool Value(const google::protobuf::Descriptor* type, const std::string& path) {
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '{' || c == '<') {
      ++pos_;
      return Fields(type, c == '{' ? '}' : '>', path);
    }
    if (c == '[') {
      ++pos_;
      for (;;) {
        SkipSpace();
        if (Peek(']')) {
          ++pos_;
          return true;
        }
        if (!Value(type, path)) return false;
        SkipSpace();
        if (Peek(',')) ++pos_;
      }
    }
    return Scalar();
  }

  bool Scalar() {
    if (Peek('"') || Peek('\'')) {
      while (Peek('"') || Peek('\'')) {  // adjacent literals concatenate
        if (!StringLiteral()) return false;
        SkipSpace();
      }
      return true;
    }
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == ';' || c == '{' ||
          c == '}' || c == '[' || c == ']' || c == '<' || c == '>' || c == '#' || c == ':') {
        break;
      }
      ++pos_;
    }
    return pos_ > start;
  }

  bool StringLiteral() {
    const char quote = text_[pos_++];
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\n') return false;
      if (text_[pos_] == '\\' && ++pos_ == text_.size()) return false;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    ++pos_;
    return true;
  }

  std::string Identifier() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      if (std::isspace(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      } else if (text_[pos_] == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  size_t LineOf(size_t offset) const {
    size_t line = 1;
    for (size_t i = 0; i < offset; ++i) line += text_[i] == '\n';
    return line;
  }

  void Blank(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (out_.text[i] != '\n') out_.text[i] = ' ';
    }
  }

  std::string_view text_;
  FilteredText& out_;
  size_t pos_ = 0;
};

}  // namespace

FilteredText RemoveUnknownTextFields(std::string_view text,
                                     const google::protobuf::Descriptor* type) {
  FilteredText out{std::string(text), {}};
  Filter filter(text, out);
  if (!filter.Fields(type, 0, "")) return FilteredText{std::string(text), {}};
  return out;
}

}  // namespace inferd
