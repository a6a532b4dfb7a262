#include "frontends/jobs/job_json.h"

#include "frontends/http/json_tensor_codec.h"

namespace inferd::jobsfe {
namespace {

StatusOr<bool> OptionalBool(simdjson::dom::object body, std::string_view key) {
  simdjson::dom::element e;
  if (body[key].get(e)) return false;
  if (!e.is_bool()) return InvalidArgument("\"" + std::string(key) + "\" must be true or false");
  return e.get_bool().value();
}

StatusOr<std::string> OptionalString(simdjson::dom::object body, std::string_view key) {
  simdjson::dom::element e;
  if (body[key].get(e) || e.is_null()) return std::string();
  if (!e.is_string()) return InvalidArgument("\"" + std::string(key) + "\" must be a string");
  return std::string(e.get_string().value());
}

}  // namespace

// The rows of a JSON array as JSONL text.
std::string RowsAsJsonl(simdjson::dom::array rows) {
  std::string out;
  for (simdjson::dom::element row : rows) {
    out += simdjson::minify(row);
    out += '\n';
  }
  return out;
}

StatusOr<JobFormat> FormatOption(std::string_view given, JobFormat fallback,
                                 std::string_view what) {
  if (given.empty()) return fallback;
  auto format = ParseJobFormat(given);
  if (!format) {
    return InvalidArgument(std::string(what) + " must be \"jsonl\" or \"csv\", not \"" +
                           std::string(given) + "\"");
  }
  return *format;
}

StatusOr<JobSubmission> ParseJobSubmission(std::string_view body_text) {
  INFERD_ASSIGN_OR_RETURN(simdjson::dom::element root, http::ParseJson(body_text));
  simdjson::dom::object body;
  if (root.get(body)) return InvalidArgument("the job must be a JSON object");
  JobSubmission s;
  INFERD_ASSIGN_OR_RETURN(s.spec.model, OptionalString(body, "model"));
  INFERD_ASSIGN_OR_RETURN(s.spec.version, OptionalString(body, "version"));
  INFERD_ASSIGN_OR_RETURN(std::string input_format, OptionalString(body, "input_format"));
  INFERD_ASSIGN_OR_RETURN(std::string output_format, OptionalString(body, "output_format"));
  INFERD_ASSIGN_OR_RETURN(s.spec.key_field, OptionalString(body, "key_field"));
  INFERD_ASSIGN_OR_RETURN(s.spec.join_input, OptionalBool(body, "join_input"));
  INFERD_ASSIGN_OR_RETURN(std::string input_path, OptionalString(body, "input_path"));
  simdjson::dom::element rows;
  const bool has_rows = !body["rows"].get(rows);
  if (has_rows == !input_path.empty()) {
    return InvalidArgument("a job needs exactly one of \"rows\" (inline) and \"input_path\"");
  }
  if (has_rows) {
    simdjson::dom::array array;
    if (rows.get(array)) return InvalidArgument("\"rows\" must be an array");
    if (array.size() == 0) return InvalidArgument("\"rows\" is empty");
    s.rows = RowsAsJsonl(array);
    s.spec.input_format = JobFormat::kJsonl;
    if (!input_format.empty() && input_format != "jsonl") {
      return InvalidArgument("inline rows are JSON: input_format must be \"jsonl\"");
    }
  } else {
    s.input_file = input_path;
    const bool csv_name = input_path.ends_with(".csv");
    INFERD_ASSIGN_OR_RETURN(
        s.spec.input_format,
        FormatOption(input_format, csv_name ? JobFormat::kCsv : JobFormat::kJsonl, "input_format"));
  }
  INFERD_ASSIGN_OR_RETURN(s.spec.output_format,
                          FormatOption(output_format, JobFormat::kJsonl, "output_format"));
  return s;
}

}  // namespace inferd::jobsfe
