#include "frontends/simple/predict_codec.h"

#include <algorithm>

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/tabular_codec.h"
#include "frontends/http/tabular_output.h"

namespace inferd::simple {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

enum class Kind { kScalar, kList, kObject };

Kind KindOf(element e) {
  if (e.type() == element_type::ARRAY) return Kind::kList;
  if (e.type() == element_type::OBJECT) return Kind::kObject;
  return Kind::kScalar;
}

template <typename TableT>
StatusOr<std::vector<Tensor>> Build(StatusOr<TableT> table, const ModelSignature& signature) {
  if (!table.ok()) return table.status();
  return http::TableToTensors(signature, *table);
}

void WriteString(http::JsonWriter& w, std::string_view s) {
  http::WriteJsonString(w, s);
}

}  // namespace

std::string EncodeSchemaError(const SchemaError& error) {
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("detail");
  w.StartArray();
  w.StartObject();
  w.Key("type");
  WriteString(w, error.type);
  w.Key("loc");
  w.StartArray();
  for (const auto& part : error.loc) WriteString(w, part);
  w.EndArray();
  w.Key("msg");
  WriteString(w, error.msg);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buffer.Release();
}

std::optional<PredictBody> ParsePredictBody(std::string_view body, SchemaError& error) {
  auto root = http::ParseJson(body);
  if (!root.ok()) {
    error = {"json_invalid", {"body"}, "JSON decode error: " + root.status().message()};
    return std::nullopt;
  }
  if (root->type() != element_type::OBJECT) {
    error = {"model_attributes_type", {"body"}, "Input should be a valid dictionary"};
    return std::nullopt;
  }
  const simdjson::dom::object object(*root);
  PredictBody out;
  element model;
  if (object.at_key("model").get(model) == simdjson::SUCCESS &&
      model.type() != element_type::NULL_VALUE) {
    if (model.type() != element_type::STRING) {
      error = {"string_type", {"body", "model"}, "Input should be a valid string"};
      return std::nullopt;
    }
    out.model = std::string(model.get_string().value_unsafe());
  }
  if (object.at_key("features").get(out.features) != simdjson::SUCCESS) {
    error = {"missing", {"body", "features"}, "Field required"};
    return std::nullopt;
  }
  if (out.features.type() == element_type::OBJECT) {
    out.single_row = true;
    return out;
  }
  if (out.features.type() != element_type::ARRAY) {
    error = {"list_type", {"body", "features"}, "Input should be a valid list"};
    return std::nullopt;
  }
  const simdjson::dom::array items(out.features);
  if (items.size() == 0) {
    error = {"too_short", {"body", "features"}, "features must hold at least one value"};
    return std::nullopt;
  }
  const Kind first = KindOf(items.at(0).value_unsafe());
  size_t index = 0;
  for (element item : items) {
    if (KindOf(item) != first || item.type() == element_type::NULL_VALUE) {
      error = {"value_error",
               {"body", "features", std::to_string(index)},
               "features must be a list of values, a list of rows, or an object"};
      return std::nullopt;
    }
    ++index;
  }
  out.single_row = first == Kind::kScalar;
  return out;
}

StatusOr<std::vector<Tensor>> FeaturesToTensors(const PredictBody& body,
                                                const ModelSignature& signature) {
  if (body.features.type() == element_type::OBJECT) {
    return Build(http::JsonRecordsTable::Make({body.features}), signature);
  }
  if (body.single_row) return Build(http::JsonRowsTable::Make({body.features}), signature);
  auto rows = http::ArrayElements(simdjson::dom::array(body.features));
  if (rows[0].type() == element_type::OBJECT) {
    return Build(http::JsonRecordsTable::Make(std::move(rows)), signature);
  }
  return Build(http::JsonRowsTable::Make(std::move(rows)), signature);
}

StatusOr<std::string> EncodePredictResponse(const InferResponse& response,
                                            const ModelSignature& signature, bool single_row) {
  const http::ClassifierSpec classifier = http::FindClassifier(signature);
  const Tensor* prob_tensor =
      classifier.probability ? http::FindOutput(response, classifier.probability->name) : nullptr;
  const Tensor* label_tensor =
      classifier.label ? http::FindOutput(response, classifier.label->name) : nullptr;
  std::optional<http::OutputRows> probs, labels, value;
  if (prob_tensor != nullptr) {
    INFERD_ASSIGN_OR_RETURN(probs, http::OutputRows::Make(*prob_tensor));
    if (probs->per_row() != static_cast<int64_t>(classifier.probability->class_labels.size())) {
      return Internal("the probability output does not have one column per class label");
    }
    if (label_tensor != nullptr) {
      INFERD_ASSIGN_OR_RETURN(labels, http::OutputRows::Make(*label_tensor));
    }
  } else {
    if (response.outputs.empty()) return Internal("the model returned no outputs");
    INFERD_ASSIGN_OR_RETURN(value, http::OutputRows::Make(response.outputs[0]));
  }
  const int64_t rows = probs ? probs->rows() : value->rows();
  if (labels && labels->rows() != rows) return Internal("the model's outputs disagree on rows");
  if (rows < 1) return Internal("the model returned no rows");
  const auto* classes = probs ? &classifier.probability->class_labels : nullptr;
  const bool numeric = classifier.label ? classifier.numeric_labels : false;

  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  auto write_prediction = [&](int64_t r) {
    if (!probs) return value->WriteRow(r, w, true);
    if (labels) return labels->WriteRow(r, w, true);
    // No label output: the most probable class.
    int64_t best = 0;
    for (int64_t c = 1; c < probs->per_row(); ++c) {
      if (probs->ElementAsDouble(r * probs->per_row() + c) >
          probs->ElementAsDouble(r * probs->per_row() + best)) {
        best = c;
      }
    }
    http::WriteLabel((*classes)[static_cast<size_t>(best)], numeric, w);
  };
  w.StartObject();
  w.Key("model");
  WriteString(w, response.model_name);
  w.Key("version");
  WriteString(w, std::to_string(response.model_version));
  if (single_row) {
    w.Key("prediction");
    write_prediction(0);
    w.Key("probability");
    if (probs) {
      double best = probs->per_row() > 0 ? probs->ElementAsDouble(0) : 0;
      for (int64_t c = 1; c < probs->per_row(); ++c)
        best = std::max(best, probs->ElementAsDouble(c));
      w.Double(best);
    } else {
      w.Null();
    }
  } else {
    w.Key("predictions");
    w.StartArray();
    for (int64_t r = 0; r < rows; ++r) write_prediction(r);
    w.EndArray();
    w.Key("probabilities");
    if (probs) {
      w.StartArray();
      for (int64_t r = 0; r < rows; ++r) probs->WriteRow(r, w, false);
      w.EndArray();
    } else {
      w.Null();
    }
    w.Key("classes");
    if (classes) {
      w.StartArray();
      for (const auto& label : *classes) http::WriteLabel(label, numeric, w);
      w.EndArray();
    } else {
      w.Null();
    }
  }
  // As the seeds' A/B service answers: which variant served.
  if (!response.variant.empty()) {
    w.Key("variant");
    WriteString(w, response.variant);
  }
  w.EndObject();
  return buffer.Release();
}

std::string NormalizeVersion(std::string_view version) {
  if (version.size() > 1 && (version[0] == 'v' || version[0] == 'V') &&
      std::all_of(version.begin() + 1, version.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    version.remove_prefix(1);
  }
  return std::string(version);
}

}  // namespace inferd::simple
