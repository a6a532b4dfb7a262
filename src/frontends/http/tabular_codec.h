// The tabular codec shared by the row-oriented protocols (TorchServe, MLflow,
// the simple /predict): rows and columns of JSON values or CSV fields become a
// model's input tensors, using the model's signature to pick the input each
// column feeds and the element datatype.
//
// Column mapping, decided once per table:
//  1. Every column is named after a model input: each column feeds that input.
//     A cell is a scalar or a (nested) array; the input gets [N] when its
//     signature has rank 1, else [N] + the per-row shape.
//  2. Otherwise, when the model has exactly one input: every cell of a row, in
//     column order, is gathered into that input ([N, columns] for a 2-D input).
//  3. Otherwise, unnamed rows with one value per model input feed the inputs by
//     position.
// Shapes are only built here; the core's request validator rejects a shape,
// a missing input or a batch size that the model does not take.
//
// Elements: numbers for numeric inputs (true/false also for BOOL), strings for
// BYTES inputs; CSV fields are parsed per the input's datatype.
//
// Thread-safety: tables over JSON hold simdjson elements, which stay valid
// until the next http::ParseJson on the same thread; build the tensors on the
// thread that parsed the body.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/model_signature.h"
#include "core/status.h"
#include "core/tensor.h"

namespace inferd::http {

// One cell: a JSON value, or a field of text (CSV).
struct Cell {
  simdjson::dom::element json;
  std::string_view text;
  bool is_text = false;

  static Cell Json(simdjson::dom::element e) { return Cell{e, {}, false}; }
  static Cell Text(std::string_view t) { return Cell{{}, t, true}; }
};

// Rows of cells, every row with num_columns() cells.
class Table {
 public:
  virtual ~Table() = default;
  virtual size_t num_rows() const = 0;
  virtual size_t num_columns() const = 0;
  // Column names, or empty when the rows are unnamed.
  virtual const std::vector<std::string>& columns() const = 0;
  // Fills `cells` with row `r`'s cells; an error when the row is malformed
  // (another length, a missing column).
  virtual Status Row(size_t r, std::vector<Cell>& cells) const = 0;
};

// Rows given as JSON arrays (a list of lists); each row must have as many
// values as `columns` names, or, when unnamed, as the first row. With
// `scalar_rows`, each row is a single value (one column).
class JsonRowsTable : public Table {
 public:
  static StatusOr<JsonRowsTable> Make(std::vector<simdjson::dom::element> rows,
                                      std::vector<std::string> columns = {},
                                      bool scalar_rows = false);
  size_t num_rows() const override { return rows_.size(); }
  size_t num_columns() const override { return num_columns_; }
  const std::vector<std::string>& columns() const override { return columns_; }
  Status Row(size_t r, std::vector<Cell>& cells) const override;

 private:
  std::vector<simdjson::dom::element> rows_;
  std::vector<std::string> columns_;
  size_t num_columns_ = 0;
  bool scalar_rows_ = false;
};

// Rows given as JSON objects {column: value}; the columns are the first
// record's keys, in its order, and every record must have exactly those.
class JsonRecordsTable : public Table {
 public:
  static StatusOr<JsonRecordsTable> Make(std::vector<simdjson::dom::element> records);
  size_t num_rows() const override { return records_.size(); }
  size_t num_columns() const override { return columns_.size(); }
  const std::vector<std::string>& columns() const override { return columns_; }
  Status Row(size_t r, std::vector<Cell>& cells) const override;

 private:
  std::vector<simdjson::dom::element> records_;
  std::vector<std::string> columns_;
};

// Columns given as one JSON object {column: [value per row]}; every column
// must have the same number of rows.
class JsonColumnsTable : public Table {
 public:
  static StatusOr<JsonColumnsTable> Make(simdjson::dom::object columns);
  size_t num_rows() const override { return num_rows_; }
  size_t num_columns() const override { return names_.size(); }
  const std::vector<std::string>& columns() const override { return names_; }
  Status Row(size_t r, std::vector<Cell>& cells) const override;

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<simdjson::dom::element>> values_;  // per column
  size_t num_rows_ = 0;
};

// The elements of a JSON array, in order.
std::vector<simdjson::dom::element> ArrayElements(simdjson::dom::array array);

// Builds the model's input tensors from the table (see the mapping above).
// An error for an empty table, a column that names no input, a cell of the
// wrong kind for its input's datatype, or rows of different sizes.
StatusOr<std::vector<Tensor>> TableToTensors(const ModelSignature& signature, const Table& table);

}  // namespace inferd::http
