// What a model file says about itself: its inputs and outputs as the engine
// sees them. Backends produce it at load; the core completes and checks the
// model configuration against it.
#pragma once

#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"

namespace inferd {

struct TensorSpec {
  std::string name;
  DataType dtype = DataType::kInvalid;
  // Full shape including any batch dim; -1 marks a dynamic dim. For an output
  // that is a per-row map of class scores (scikit-learn's ZipMap) this is the
  // shape of the dense [rows, classes] tensor the backend turns it into.
  Shape shape;
  // Class labels, in column order, for such a class-score output.
  std::vector<std::string> class_labels;
  // The symbolic name of the first dim when the model names it ("N",
  // "batch_size"); tensors whose first dims carry different names do not share
  // a batch dim.
  std::string first_dim_symbol;
};

struct ModelSignature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

}  // namespace inferd
