// Triton's classification extension: an output asked for with
// `classification: k` comes back as the top k classes of each batch row, as
// BYTES "value:index" or "value:index:label" (labels from the output's
// label_filename, or the class labels the model carries), highest first.
// Values print as C's %f for floating types and as integers otherwise, as
// Triton writes them (std::to_string).
//
// Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace inferd {

// One output a request wants classified.
struct OutputClassification {
  std::string output;
  uint32_t count = 0;
};

// OK when `dtype` can be classified (every numeric type but FP16, BF16 and
// BOOL, as Triton); otherwise Triton's words.
Status CheckClassifiable(const std::string& output, DataType dtype);

// The top `count` classes of each row of `scores` (its first dim is the batch
// when `batched`; otherwise the whole tensor is one row): BYTES
// [rows, min(count, classes)], or [min(count, classes)] when not batched.
StatusOr<Tensor> Classify(const Tensor& scores, uint32_t count, bool batched,
                          const std::vector<std::string>& labels);

}  // namespace inferd
