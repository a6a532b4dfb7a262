// The engine interface every backend implements (ONNX Runtime now; TorchScript,
// XGBoost and others later). A Backend is one loaded model version; the core
// hands it validated inputs in signature order and gets the outputs back.
//
// Thread-safety: Execute may be called from several threads at once (one per
// model instance); a backend that cannot run calls concurrently must
// serialize them itself.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/model_signature.h"
#include "core/status.h"
#include "core/tensor.h"

namespace inference {
class ModelConfig;
}

namespace inferd {

class Backend {
 public:
  virtual ~Backend() = default;

  // The model's inputs and outputs as the engine sees them.
  virtual const ModelSignature& signature() const = 0;

  // Runs the model. `inputs` follow signature().inputs (all of them);
  // `outputs` are indexes into signature().outputs, and the result has one
  // tensor per index, in that order.
  virtual StatusOr<std::vector<Tensor>> Execute(std::span<const Tensor> inputs,
                                                std::span<const size_t> outputs) = 0;
};

enum class GraphOptimization { kAll, kExtended, kBasic, kDisabled };

// Engine session settings; the core derives them from the config and the
// server's defaults (see core/lifecycle/model_runtime_options.h).
struct BackendOptions {
  int intra_op_threads = 1;
  int inter_op_threads = 1;
  bool parallel_execution = false;  // run independent graph branches at once
  bool allow_spinning = false;
  bool enable_mem_arena = true;
  bool enable_mem_pattern = true;
  GraphOptimization graph_optimization = GraphOptimization::kAll;
};

class BackendFactory {
 public:
  virtual ~BackendFactory() = default;
  // Loads the model file; an error says why it cannot be served.
  virtual StatusOr<std::unique_ptr<Backend>> Load(const std::filesystem::path& model_file,
                                                  const BackendOptions& options) = 0;
};

}  // namespace inferd
