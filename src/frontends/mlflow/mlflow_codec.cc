#include "frontends/mlflow/mlflow_codec.h"

#include <cctype>

#include "frontends/http/csv_parser.h"
#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/tabular_codec.h"
#include "frontends/http/tabular_output.h"

namespace inferd::mlflow {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr const char* kFieldsMessage =
    "the JSON body must be an object with exactly one of the fields dataframe_split, "
    "dataframe_records, instances, inputs (and optionally params)";

std::string_view MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return content_type;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

template <typename TableT>
StatusOr<std::vector<Tensor>> Build(StatusOr<TableT> table, const ModelSignature& signature) {
  if (!table.ok()) return table.status();
  return http::TableToTensors(signature, *table);
}

// A list of rows: lists, objects (named), or single values (one column).
StatusOr<std::vector<Tensor>> DecodeRowList(element value, std::string_view field,
                                            std::vector<std::string> columns,
                                            const ModelSignature& signature) {
  if (value.type() != element_type::ARRAY) {
    return InvalidArgument("\"" + std::string(field) + "\" must be a list of rows");
  }
  auto rows = http::ArrayElements(simdjson::dom::array(value));
  if (rows.empty()) return InvalidArgument("\"" + std::string(field) + "\" has no rows");
  switch (rows[0].type()) {
    case element_type::ARRAY:
      return Build(http::JsonRowsTable::Make(std::move(rows), std::move(columns)), signature);
    case element_type::OBJECT:
      if (!columns.empty()) return InvalidArgument("rows must be lists when columns are given");
      return Build(http::JsonRecordsTable::Make(std::move(rows)), signature);
    default:
      if (columns.size() > 1) {
        return InvalidArgument("rows must be lists of " + std::to_string(columns.size()) +
                               " values");
      }
      return Build(http::JsonRowsTable::Make(std::move(rows), std::move(columns), true), signature);
  }
}

StatusOr<std::vector<Tensor>> DecodeSplit(element value, const ModelSignature& signature) {
  if (value.type() != element_type::OBJECT) {
    return InvalidArgument("\"dataframe_split\" must be an object with \"columns\" and \"data\"");
  }
  std::vector<std::string> columns;
  element data;
  bool has_data = false;
  for (auto field : simdjson::dom::object(value)) {
    if (field.key == "columns") {
      if (field.value.type() != element_type::ARRAY) {
        return InvalidArgument("\"dataframe_split.columns\" must be a list of names");
      }
      for (element name : simdjson::dom::array(field.value)) {
        if (name.type() != element_type::STRING) {
          return InvalidArgument("\"dataframe_split.columns\" must be a list of strings");
        }
        columns.emplace_back(name.get_string().value_unsafe());
      }
    } else if (field.key == "data") {
      data = field.value;
      has_data = true;
    } else if (field.key != "index") {
      return InvalidArgument("\"dataframe_split\" has an unexpected key '" +
                             std::string(field.key) + "' (expected columns, data, index)");
    }
  }
  if (!has_data) return InvalidArgument("\"dataframe_split\" needs \"data\"");
  return DecodeRowList(data, "dataframe_split.data", std::move(columns), signature);
}

StatusOr<std::vector<Tensor>> DecodeJson(std::string_view body, const ModelSignature& signature) {
  INFERD_ASSIGN_OR_RETURN(element root, http::ParseJson(body));
  if (root.type() != element_type::OBJECT) return InvalidArgument(kFieldsMessage);
  std::string_view format;
  element value;
  std::string received;
  int formats = 0;
  for (auto field : simdjson::dom::object(root)) {
    received += (received.empty() ? "" : ", ") + std::string(field.key);
    if (field.key == "params") {
      if (field.value.type() != element_type::OBJECT) {
        return InvalidArgument("\"params\" must be an object");
      }
      continue;
    }
    if (field.key == "dataframe_split" || field.key == "dataframe_records" ||
        field.key == "instances" || field.key == "inputs") {
      format = field.key;
      value = field.value;
      ++formats;
      continue;
    }
    formats = -100;  // an unknown field
  }
  if (formats != 1) {
    return InvalidArgument(std::string(kFieldsMessage) +
                           "; got fields: " + (received.empty() ? "none" : received));
  }
  if (format == "dataframe_split") return DecodeSplit(value, signature);
  if (format == "dataframe_records") {
    if (value.type() != element_type::ARRAY) {
      return InvalidArgument("\"dataframe_records\" must be a list of objects");
    }
    auto records = http::ArrayElements(simdjson::dom::array(value));
    if (records.empty()) return InvalidArgument("\"dataframe_records\" has no rows");
    return Build(http::JsonRecordsTable::Make(std::move(records)), signature);
  }
  if (format == "inputs" && value.type() == element_type::OBJECT) {
    return Build(http::JsonColumnsTable::Make(simdjson::dom::object(value)), signature);
  }
  return DecodeRowList(value, format, {}, signature);
}

}  // namespace

ContentKind ClassifyContentType(std::string_view content_type) {
  const std::string_view media = MediaType(content_type);
  if (EqualsIgnoreCase(media, "application/json")) return ContentKind::kJson;
  if (EqualsIgnoreCase(media, "text/csv")) return ContentKind::kCsv;
  return ContentKind::kUnsupported;
}

StatusOr<std::vector<Tensor>> DecodeInvocation(ContentKind kind, std::string_view body,
                                               const ModelSignature& signature) {
  switch (kind) {
    case ContentKind::kJson:
      return DecodeJson(body, signature);
    case ContentKind::kCsv:
      return Build(http::CsvTable::Parse(body), signature);
    case ContentKind::kUnsupported:
      break;
  }
  return InvalidArgument("unsupported content type");
}

std::vector<std::string> OutputsToRequest(const ModelSignature& signature) {
  const http::ClassifierSpec classifier = http::FindClassifier(signature);
  if (classifier.probability != nullptr && classifier.label != nullptr) {
    return {classifier.label->name};
  }
  return {};
}

StatusOr<std::string> EncodeInvocationResponse(const InferResponse& response,
                                               const ModelSignature& signature) {
  const http::ClassifierSpec classifier = http::FindClassifier(signature);
  std::vector<const Tensor*> chosen;
  if (classifier.probability != nullptr && classifier.label != nullptr) {
    const Tensor* label = http::FindOutput(response, classifier.label->name);
    if (label == nullptr) return Internal("the model did not return its label output");
    chosen.push_back(label);
  } else {
    for (const Tensor& t : response.outputs) chosen.push_back(&t);
  }
  std::vector<http::OutputRows> outputs;
  for (const Tensor* t : chosen) {
    INFERD_ASSIGN_OR_RETURN(http::OutputRows rows, http::OutputRows::Make(*t));
    outputs.push_back(std::move(rows));
  }
  INFERD_ASSIGN_OR_RETURN(int64_t rows, http::CommonRows(outputs));

  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("predictions");
  w.StartArray();
  for (int64_t r = 0; r < rows; ++r) {
    if (outputs.size() == 1) {
      outputs[0].WriteRow(r, w, true);
      continue;
    }
    w.StartObject();
    for (size_t i = 0; i < outputs.size(); ++i) {
      http::WriteJsonString(w, chosen[i]->name());
      outputs[i].WriteRow(r, w, true);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.Release();
}

}  // namespace inferd::mlflow
