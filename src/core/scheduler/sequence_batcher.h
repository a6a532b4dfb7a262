// Triton's sequence batching for one model version: requests that carry a
// correlation id (sequence_id) form a sequence, which runs in order, one
// request at a time, on one model instance; the batcher fills the model's
// control inputs (START, END, READY, CORRID) and carries implicit state from
// each request's state output to the next one's state input. Requests of
// different sequences on the same instance batch together.
//
// Slots: the direct strategy gives each instance max_batch_size (at least 1)
// slots; oldest gives max_candidate_sequences. A sequence takes a slot at its
// START and frees it at its END, or when it has been idle (nothing queued or
// running) for max_sequence_idle_microseconds (default 1 s); sequences that
// start while every slot is taken wait, in order, in a backlog.
//
// Bounds: a sequence holds at most kMaxPendingSteps queued requests and the
// backlog at most kMaxBacklog sequences; past them a request is refused
// UNAVAILABLE. A runner that fails a step at once does not recurse into the
// next step: dispatching is iterative on each thread.
//
// Thread-safe. Runners are called without the batcher's lock held. Steps
// still queued when the batcher is destroyed are answered UNAVAILABLE.
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/infer_request.h"
#include "core/model_signature.h"
#include "core/scheduler/periodic_task.h"
#include "model_config.pb.h"

namespace inferd {

class SequenceBatcher {
 public:
  // Runs one step of a sequence on instance `instance`.
  using Runner = std::function<void(InferRequest, int instance, InferCallback)>;

  // Checks the config's sequence_batching against the model's inputs and
  // outputs; the batcher for a model without it is null. `model_dir` holds
  // initial_state data files.
  static StatusOr<std::unique_ptr<SequenceBatcher>> Make(const inference::ModelConfig& config,
                                                         const ModelSignature& signature,
                                                         const std::filesystem::path& model_dir,
                                                         int instances);
  ~SequenceBatcher();

  // Queues `request` as the next step of its sequence; `done` gets its
  // answer (or Triton's error for a request without a correlation id, or
  // one that continues a sequence that never started).
  void Submit(InferRequest request, InferCallback done, Runner run);

  static constexpr size_t kMaxPendingSteps = 1024;
  static constexpr size_t kMaxBacklog = 4096;

  // The names of the inputs the batcher fills (clients must not send them).
  bool FillsInput(const std::string& name) const;
  // True for a state output (carried to the next request, not the client's).
  bool IsStateOutput(const std::string& name) const;
  size_t active_sequences() const;

 private:
  struct Control {
    std::string input;
    inference::ModelSequenceBatching::Control::Kind kind;
    DataType dtype;
    Shape dims;  // without the batch dim
    double false_value = 0, true_value = 1;
  };
  struct StateSpec {
    std::string input, output;
    DataType dtype;
    Shape dims;                      // without the batch dim
    std::vector<std::byte> initial;  // one row; zeros unless a data file says
  };
  struct Step {
    InferRequest request;
    InferCallback done;
    Runner run;
  };
  struct Sequence {
    int instance = -1;  // -1: waiting in the backlog for a slot
    bool in_flight = false;
    std::deque<Step> pending;
    // By StateSpec index; empty before the first answer.
    std::vector<std::shared_ptr<const Tensor>> state;
    std::chrono::steady_clock::time_point last_active;
  };
  // A step ready to run, taken out under the lock and run outside it.
  struct Dispatch {
    std::string key;
    Step step;
    int instance = 0;
  };

  SequenceBatcher() = default;
  static std::string KeyOf(const SequenceParams& s) {
    return s.id_text.empty() ? "#" + std::to_string(s.id) : "$" + s.id_text;
  }
  // Runs dispatches one after another; on a thread that is already running
  // dispatches, queues them for that loop instead (no recursion).
  void RunAll(std::vector<Dispatch> ready);
  // Takes the sequence's next step when it has a slot and nothing running.
  std::optional<Dispatch> NextLocked(const std::string& key);
  // Frees a sequence's slot and gives slots to backlog sequences.
  void ReleaseLocked(const std::string& key, std::vector<Dispatch>& ready);
  Status AddInputs(const std::string& key, Sequence& seq, InferRequest& request) const;
  void Run(Dispatch dispatch);
  // Records a step's answer; returns the steps that may run now.
  std::vector<Dispatch> Finished(const std::string& key, const SequenceParams& params,
                                 const std::vector<bool>& strip_state,
                                 StatusOr<InferResponse>& result);
  void ReapIdle();

  std::string model_;
  bool batched_ = false;
  std::vector<Control> controls_;
  std::vector<StateSpec> states_;
  size_t slots_per_instance_ = 1;
  size_t capacity_ = 1;
  std::chrono::microseconds idle_{1'000'000};

  mutable std::mutex mu_;
  std::map<std::string, Sequence> sequences_;
  std::deque<std::string> backlog_;
  std::vector<size_t> active_per_instance_;
  size_t active_ = 0;
  std::unique_ptr<PeriodicTask> reaper_;  // last: stops before the rest goes
};

}  // namespace inferd
