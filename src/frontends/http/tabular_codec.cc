#include "frontends/http/tabular_codec.h"

#include "frontends/http/tabular_elements.h"

namespace inferd::http {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The dims after the batch dim for a row of `per_row` elements: the
// signature's dims with dynamic ones filled in where the count allows, else
// [per_row] (and the validator reports the mismatch).
Shape RowShape(const TensorSpec& spec, int64_t per_row) {
  if (spec.shape.size() <= 1) return per_row == 1 ? Shape{} : Shape{per_row};
  Shape rest(spec.shape.begin() + 1, spec.shape.end());
  int64_t known = 1;
  int unknown = 0;
  for (int64_t d : rest) {
    if (d < 0) {
      ++unknown;
    } else {
      known *= d;
    }
  }
  if (known == 0) return Shape{per_row};
  if (unknown == 0) return known == per_row ? rest : Shape{per_row};
  if (per_row % known != 0) return Shape{per_row};
  bool first = true;
  for (int64_t& d : rest) {
    if (d >= 0) continue;
    d = first ? per_row / known : 1;
    first = false;
  }
  return rest;
}

std::string InputNames(const ModelSignature& signature) {
  std::string out;
  for (const auto& spec : signature.inputs) out += (out.empty() ? "" : ", ") + spec.name;
  return out;
}

// The error for the first of `names` that is no input's name.
Status UnknownColumn(const ModelSignature& signature, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    bool known = false;
    for (const auto& spec : signature.inputs) known = known || spec.name == name;
    if (!known) {
      return InvalidArgument(
          "column '" + name +
          "' is not an input of the model; its inputs are: " + InputNames(signature));
    }
  }
  return InvalidArgument("the columns do not match the model's inputs: " + InputNames(signature));
}

// Which input each group of columns feeds.
struct Target {
  size_t input = 0;
  std::vector<size_t> columns;
};

StatusOr<std::vector<Target>> MapColumns(const ModelSignature& signature, const Table& table) {
  const auto& inputs = signature.inputs;
  const auto& names = table.columns();
  const size_t ncols = table.num_columns();
  if (inputs.empty()) return InvalidArgument("the model has no inputs");
  std::vector<Target> targets;
  if (!names.empty()) {
    size_t matched = 0;
    for (size_t c = 0; c < names.size(); ++c) {
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].name != names[c]) continue;
        for (const Target& t : targets) {
          if (t.input == i) return InvalidArgument("column '" + names[c] + "' appears twice");
        }
        targets.push_back({i, {c}});
        ++matched;
      }
    }
    if (matched == names.size()) return targets;
    // Some columns name inputs and some do not: a mistake, not a feature list.
    if (matched > 0) return UnknownColumn(signature, names);
    targets.clear();
  }
  if (inputs.size() == 1) {
    Target all{0, {}};
    for (size_t c = 0; c < ncols; ++c) all.columns.push_back(c);
    targets.push_back(std::move(all));
    return targets;
  }
  if (names.empty() && ncols == inputs.size()) {
    for (size_t c = 0; c < ncols; ++c) targets.push_back({c, {c}});
    return targets;
  }
  if (!names.empty()) return UnknownColumn(signature, names);
  return InvalidArgument("rows have " + std::to_string(ncols) + " values but the model has " +
                         std::to_string(inputs.size()) + " inputs (" + InputNames(signature) +
                         "); give one value per input, or name the columns");
}

std::string Where(const Table& table, size_t row, size_t column) {
  std::string out = "row " + std::to_string(row) + ", column ";
  if (column < table.columns().size()) return out + "'" + table.columns()[column] + "'";
  return out + std::to_string(column);
}

}  // namespace

std::vector<element> ArrayElements(simdjson::dom::array array) {
  std::vector<element> out;
  out.reserve(array.size());
  for (element e : array) out.push_back(e);
  return out;
}

StatusOr<JsonRowsTable> JsonRowsTable::Make(std::vector<element> rows,
                                            std::vector<std::string> columns, bool scalar_rows) {
  JsonRowsTable table;
  table.scalar_rows_ = scalar_rows;
  if (scalar_rows) {
    table.num_columns_ = 1;
  } else if (!columns.empty()) {
    table.num_columns_ = columns.size();
  } else if (!rows.empty()) {
    if (rows[0].type() != element_type::ARRAY) return InvalidArgument("row 0 is not a list");
    table.num_columns_ = simdjson::dom::array(rows[0]).size();
  }
  table.rows_ = std::move(rows);
  table.columns_ = std::move(columns);
  return table;
}

Status JsonRowsTable::Row(size_t r, std::vector<Cell>& cells) const {
  cells.clear();
  const element row = rows_[r];
  if (scalar_rows_) {
    cells.push_back(Cell::Json(row));
    return Status::Ok();
  }
  if (row.type() != element_type::ARRAY) {
    return InvalidArgument("row " + std::to_string(r) + " is not a list");
  }
  for (element value : simdjson::dom::array(row)) {
    if (cells.size() == num_columns_) break;
    cells.push_back(Cell::Json(value));
  }
  if (cells.size() != num_columns_ || simdjson::dom::array(row).size() != num_columns_) {
    return InvalidArgument("row " + std::to_string(r) + " has " +
                           std::to_string(simdjson::dom::array(row).size()) + " values, expected " +
                           std::to_string(num_columns_));
  }
  return Status::Ok();
}

StatusOr<JsonRecordsTable> JsonRecordsTable::Make(std::vector<element> records) {
  JsonRecordsTable table;
  if (!records.empty()) {
    if (records[0].type() != element_type::OBJECT) return InvalidArgument("row 0 is not an object");
    for (auto field : simdjson::dom::object(records[0])) {
      const std::string key(field.key);
      for (const auto& seen : table.columns_) {
        if (seen == key) return InvalidArgument("row 0 has column '" + key + "' twice");
      }
      table.columns_.push_back(key);
    }
  }
  table.records_ = std::move(records);
  return table;
}

Status JsonRecordsTable::Row(size_t r, std::vector<Cell>& cells) const {
  cells.clear();
  const element record = records_[r];
  const std::string where = "row " + std::to_string(r);
  if (record.type() != element_type::OBJECT) return InvalidArgument(where + " is not an object");
  const simdjson::dom::object object(record);
  if (object.size() != columns_.size()) {
    return InvalidArgument(where + " has " + std::to_string(object.size()) +
                           " columns, row 0 has " + std::to_string(columns_.size()));
  }
  for (const auto& column : columns_) {
    element value;
    if (object.at_key(column).get(value) != simdjson::SUCCESS) {
      return InvalidArgument(where + " lacks column '" + column + "'");
    }
    cells.push_back(Cell::Json(value));
  }
  return Status::Ok();
}

StatusOr<JsonColumnsTable> JsonColumnsTable::Make(simdjson::dom::object columns) {
  JsonColumnsTable table;
  for (auto field : columns) {
    const std::string key(field.key);
    for (const auto& seen : table.names_) {
      if (seen == key) return InvalidArgument("column '" + key + "' appears twice");
    }
    if (field.value.type() != element_type::ARRAY) {
      return InvalidArgument("column '" + key + "' is not a list of values");
    }
    auto values = ArrayElements(simdjson::dom::array(field.value));
    if (!table.names_.empty() && values.size() != table.num_rows_) {
      return InvalidArgument("column '" + key + "' has " + std::to_string(values.size()) +
                             " rows, column '" + table.names_[0] + "' has " +
                             std::to_string(table.num_rows_));
    }
    table.num_rows_ = values.size();
    table.names_.push_back(key);
    table.values_.push_back(std::move(values));
  }
  return table;
}

Status JsonColumnsTable::Row(size_t r, std::vector<Cell>& cells) const {
  cells.clear();
  for (const auto& column : values_) cells.push_back(Cell::Json(column[r]));
  return Status::Ok();
}

StatusOr<std::vector<Tensor>> TableToTensors(const ModelSignature& signature, const Table& table) {
  const size_t rows = table.num_rows();
  if (rows == 0) return InvalidArgument("no rows given");
  if (table.num_columns() == 0) return InvalidArgument("rows have no values");
  INFERD_ASSIGN_OR_RETURN(std::vector<Target> targets, MapColumns(signature, table));

  std::vector<ElementSink> sinks;
  sinks.reserve(targets.size());
  for (const Target& t : targets) sinks.emplace_back(signature.inputs[t.input]);
  std::vector<int64_t> per_row(targets.size(), 0);
  std::vector<Cell> cells;
  for (size_t r = 0; r < rows; ++r) {
    INFERD_RETURN_IF_ERROR(table.Row(r, cells));
    for (size_t t = 0; t < targets.size(); ++t) {
      const int64_t before = sinks[t].count();
      for (size_t c : targets[t].columns) {
        INFERD_RETURN_IF_ERROR(sinks[t].Append(cells[c], Where(table, r, c)));
      }
      const int64_t n = sinks[t].count() - before;
      if (r == 0) {
        per_row[t] = n;
        sinks[t].Reserve(static_cast<size_t>(n) * rows);
      } else if (n != per_row[t]) {
        return InvalidArgument("row " + std::to_string(r) + " has " + std::to_string(n) +
                               " values for input '" + signature.inputs[targets[t].input].name +
                               "', row 0 has " + std::to_string(per_row[t]));
      }
    }
  }

  std::vector<Tensor> tensors;
  tensors.reserve(targets.size());
  for (size_t t = 0; t < targets.size(); ++t) {
    const TensorSpec& spec = signature.inputs[targets[t].input];
    Shape shape{static_cast<int64_t>(rows)};
    for (int64_t d : RowShape(spec, per_row[t])) shape.push_back(d);
    Tensor tensor(spec.name, spec.dtype, std::move(shape));
    tensor.Adopt(sinks[t].Take());
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

}  // namespace inferd::http
