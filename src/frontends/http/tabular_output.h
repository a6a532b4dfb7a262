// The output side of the tabular codec: an InferResponse's tensors as
// row-oriented JSON, and how a classifier's outputs are recognised.
//
// A row's value is a scalar for an [N] output (and for [N, 1] when asked to
// squeeze it), a list for [N, K], nested lists for higher ranks.
// Thread-safety: none needed; each response is encoded by one thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/infer_request.h"
#include "core/model_signature.h"
#include "frontends/http/json_tensor_codec.h"

namespace inferd::http {

// Row access to one output tensor.
class OutputRows {
 public:
  // An error when the tensor's bytes do not match its shape.
  static StatusOr<OutputRows> Make(const Tensor& tensor);

  // The first dim (1 for a scalar tensor).
  int64_t rows() const { return rows_; }
  // Elements in each row.
  int64_t per_row() const { return per_row_; }
  DataType dtype() const { return tensor_->dtype(); }

  // Writes row `r`: a scalar when the output is [N] (or [N, 1] and
  // `squeeze_single`), else (nested) lists of the row's dims.
  void WriteRow(int64_t r, JsonWriter& w, bool squeeze_single) const;
  // Writes element `i` (row-major over the whole tensor).
  void WriteElement(int64_t i, JsonWriter& w) const;
  double ElementAsDouble(int64_t i) const;
  // A number's text form, or a string element's bytes.
  std::string ElementAsString(int64_t i) const;

 private:
  void WriteDims(size_t dim, int64_t& index, JsonWriter& w) const;

  const Tensor* tensor_ = nullptr;
  int64_t rows_ = 0;
  int64_t per_row_ = 0;
  std::vector<std::string_view> strings_;  // BYTES elements
};

// A scikit-learn style classifier's outputs: a label output (INT64 or BYTES,
// one value per row) and a class-probability output (an output that carries
// class labels, served as FP32 [N, classes]).
struct ClassifierSpec {
  const TensorSpec* label = nullptr;        // may be null
  const TensorSpec* probability = nullptr;  // null when the model is no classifier
  bool numeric_labels = false;              // labels are numbers (INT64 label output)
};
ClassifierSpec FindClassifier(const ModelSignature& signature);

// The response output with this name, or null.
const Tensor* FindOutput(const InferResponse& response, std::string_view name);

// Writes a class label: a number when `numeric` and it parses as one, else a string.
void WriteLabel(std::string_view label, bool numeric, JsonWriter& w);

void WriteJsonString(JsonWriter& w, std::string_view s);

// An error when the outputs do not all have the same number of rows.
StatusOr<int64_t> CommonRows(const std::vector<OutputRows>& outputs);

}  // namespace inferd::http
