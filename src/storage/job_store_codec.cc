#include "storage/job_store_codec.h"

#include <algorithm>
#include <charconv>

namespace inferd {
namespace {

// A message's backslashes, tabs and line breaks escaped, so that an error is
// one line of three tab-separated fields.
void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

std::optional<std::string> Unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    switch (text[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

}  // namespace

std::optional<int64_t> ParseStoredInt(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string EncodeErrors(const std::vector<RowError>& errors) {
  std::string out;
  for (const RowError& e : errors) {
    out += std::to_string(e.row);
    out += '\t';
    out += std::to_string(e.status);
    out += '\t';
    AppendEscaped(out, e.message);
    out += '\n';
  }
  return out;
}

std::optional<std::vector<RowError>> DecodeErrors(std::string_view text) {
  std::vector<RowError> errors;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    if (eol == std::string_view::npos) return std::nullopt;
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    const size_t tab1 = line.find('\t');
    const size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string_view::npos) return std::nullopt;
    const auto row = ParseStoredInt(line.substr(0, tab1));
    const auto status = ParseStoredInt(line.substr(tab1 + 1, tab2 - tab1 - 1));
    auto message = Unescape(line.substr(tab2 + 1));
    if (!row || !status || !message) return std::nullopt;
    errors.push_back({*row, static_cast<int>(*status), std::move(*message)});
  }
  return errors;
}

std::string EncodeRows(const std::vector<int64_t>& rows) {
  std::string out;
  for (int64_t row : rows) {
    if (!out.empty()) out += ',';
    out += std::to_string(row);
  }
  return out;
}

std::optional<std::vector<int64_t>> DecodeRows(std::string_view text) {
  std::vector<int64_t> rows;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const auto row = ParseStoredInt(text.substr(0, comma));
    if (!row) return std::nullopt;
    rows.push_back(*row);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
  }
  return rows;
}

std::vector<RowError> MergeErrors(std::vector<RowError> errors, const std::vector<RowError>& more) {
  errors.insert(errors.end(), more.begin(), more.end());
  std::stable_sort(errors.begin(), errors.end(),
                   [](const RowError& a, const RowError& b) { return a.row < b.row; });
  errors.erase(std::unique(errors.begin(), errors.end(),
                           [](const RowError& a, const RowError& b) { return a.row == b.row; }),
               errors.end());
  if (errors.size() > kJobFirstErrors) errors.resize(kJobFirstErrors);
  return errors;
}

Status StateNotMoved(std::string_view id, JobState from, JobState to) {
  return FailedPrecondition("job '" + std::string(id) + "' is not " +
                            std::string(JobStateName(from)) + " (any more): it does not move to " +
                            std::string(JobStateName(to)));
}

}  // namespace inferd
