// How a shadow's answer differs from the primary's, output by output: the
// absolute differences of numeric values, and whether each row's label
// agrees (string and integer outputs element by element; float outputs
// with a class axis by their argmax).
//
// Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace inferd {

struct OutputComparison {
  std::string name;
  // The two answers' output differs in type or shape, or only one has it.
  bool mismatch = false;
  uint64_t values = 0;  // numeric elements compared
  double abs_diff_sum = 0;
  double abs_diff_max = 0;
  uint64_t rows = 0;  // rows compared by label
  uint64_t rows_agreeing = 0;
};

// One entry per output of `primary`, in its order.
std::vector<OutputComparison> CompareOutputs(const std::vector<Tensor>& primary,
                                             const std::vector<Tensor>& shadow);

}  // namespace inferd
