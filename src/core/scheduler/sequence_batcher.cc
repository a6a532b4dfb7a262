#include "core/scheduler/sequence_batcher.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/model_config.h"

namespace inferd {
namespace {

using Seq = inference::ModelSequenceBatching;

const TensorSpec* FindSpec(const std::vector<TensorSpec>& specs, const std::string& name) {
  for (const TensorSpec& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// A tensor's dims without the batch dim; unknown dims are taken as 1.
Shape RowDims(const Shape& shape, bool batched) {
  Shape dims(shape.begin() + (batched && !shape.empty() ? 1 : 0), shape.end());
  for (int64_t& d : dims) d = d < 0 ? 1 : d;
  return dims;
}

template <typename T>
void Fill(Tensor& t, int64_t count, T value) {
  auto* out = reinterpret_cast<T*>(t.Allocate(static_cast<size_t>(count) * sizeof(T)));
  std::fill(out, out + count, value);
}

}  // namespace

StatusOr<std::unique_ptr<SequenceBatcher>> SequenceBatcher::Make(
    const inference::ModelConfig& config, const ModelSignature& signature,
    const std::filesystem::path& model_dir, int instances) {
  if (!config.has_sequence_batching()) return std::unique_ptr<SequenceBatcher>();
  const Seq& sb = config.sequence_batching();
  std::unique_ptr<SequenceBatcher> b(new SequenceBatcher());
  b->model_ = config.name();
  b->batched_ = config.max_batch_size() > 0;
  const auto where = [&](const std::string& what) {
    return "sequence_batching of model '" + config.name() + "': " + what;
  };
  for (const auto& input : sb.control_input()) {
    const TensorSpec* spec = FindSpec(signature.inputs, input.name());
    if (spec == nullptr) {
      return InvalidArgument(where("control input '" + input.name() + "' is not a model input"));
    }
    if (input.control_size() != 1) {
      return InvalidArgument(
          where("control input '" + input.name() + "' needs exactly one control"));
    }
    const auto& c = input.control(0);
    Control control{input.name(), c.kind(), DataType::kInvalid, RowDims(spec->shape, b->batched_)};
    if (c.kind() == Seq::Control::CONTROL_SEQUENCE_CORRID) {
      control.dtype = FromConfigDataType(c.data_type());
      if (control.dtype != DataType::kUint64 && control.dtype != DataType::kInt64 &&
          control.dtype != DataType::kUint32 && control.dtype != DataType::kInt32 &&
          control.dtype != DataType::kBytes) {
        return InvalidArgument(where("the CORRID control '" + input.name() +
                                     "' needs data_type TYPE_UINT64, TYPE_INT64, TYPE_UINT32, "
                                     "TYPE_INT32 or TYPE_STRING"));
      }
    } else {
      const int lists = (c.int32_false_true_size() > 0) + (c.fp32_false_true_size() > 0) +
                        (c.bool_false_true_size() > 0);
      const int entries =
          c.int32_false_true_size() + c.fp32_false_true_size() + c.bool_false_true_size();
      if (lists != 1 || entries != 2) {
        return InvalidArgument(where("control '" + input.name() +
                                     "' needs one of int32_false_true, fp32_false_true or "
                                     "bool_false_true, with two entries (false, true)"));
      }
      if (c.int32_false_true_size() > 0) {
        control.dtype = DataType::kInt32;
        control.false_value = c.int32_false_true(0);
        control.true_value = c.int32_false_true(1);
      } else if (c.fp32_false_true_size() > 0) {
        control.dtype = DataType::kFp32;
        control.false_value = c.fp32_false_true(0);
        control.true_value = c.fp32_false_true(1);
      } else {
        control.dtype = DataType::kBool;
        control.false_value = c.bool_false_true(0);
        control.true_value = c.bool_false_true(1);
      }
    }
    if (control.dtype != spec->dtype) {
      return InvalidArgument(
          where("control '" + input.name() + "' is " + std::string(DataTypeName(control.dtype)) +
                " but the model input is " + std::string(DataTypeName(spec->dtype))));
    }
    b->controls_.push_back(std::move(control));
  }
  for (const auto& state : sb.state()) {
    const TensorSpec* in = FindSpec(signature.inputs, state.input_name());
    const TensorSpec* out = FindSpec(signature.outputs, state.output_name());
    if (in == nullptr || out == nullptr) {
      return InvalidArgument(where("state input '" + state.input_name() + "' and output '" +
                                   state.output_name() + "' must be a model input and output"));
    }
    StateSpec spec{state.input_name(),
                   state.output_name(),
                   in->dtype,
                   state.dims().empty()
                       ? RowDims(in->shape, b->batched_)
                       : RowDims(Shape(state.dims().begin(), state.dims().end()), false),
                   {}};
    if (state.data_type() != inference::TYPE_INVALID &&
        FromConfigDataType(state.data_type()) != in->dtype) {
      return InvalidArgument(where("state '" + state.input_name() +
                                   "' data_type does not match "
                                   "the model input"));
    }
    if (in->dtype != out->dtype || in->dtype == DataType::kBytes) {
      return InvalidArgument(where("state '" + state.input_name() + "' and '" +
                                   state.output_name() + "' must have the same numeric datatype"));
    }
    INFERD_ASSIGN_OR_RETURN(int64_t elements, ElementCount(spec.dims));
    const size_t bytes = static_cast<size_t>(elements) * DataTypeByteSize(spec.dtype);
    spec.initial.assign(bytes, std::byte{0});
    if (state.initial_state_size() > 0 && state.initial_state(0).has_data_file()) {
      const std::string& file = state.initial_state(0).data_file();
      if (file.find('/') != std::string::npos || file == "..") {
        return InvalidArgument(where("initial_state data_file must be a file name"));
      }
      std::ifstream in_file(model_dir / "initial_state" / file, std::ios::binary);
      std::vector<char> data((std::istreambuf_iterator<char>(in_file)),
                             std::istreambuf_iterator<char>());
      if (!in_file.eof() && !in_file) {
        return InvalidArgument(where("cannot read initial_state/" + file));
      }
      if (data.size() != bytes) {
        return InvalidArgument(where("initial_state/" + file + " has " +
                                     std::to_string(data.size()) + " bytes; the state needs " +
                                     std::to_string(bytes)));
      }
      std::memcpy(spec.initial.data(), data.data(), bytes);
    }
    b->states_.push_back(std::move(spec));
  }
  const size_t instance_count = static_cast<size_t>(std::max(1, instances));
  b->active_per_instance_.assign(instance_count, 0);
  if (sb.has_oldest()) {
    if (sb.oldest().max_candidate_sequences() <= 0) {
      return InvalidArgument(where("oldest needs max_candidate_sequences of 1 or more"));
    }
    b->capacity_ = static_cast<size_t>(sb.oldest().max_candidate_sequences());
    b->slots_per_instance_ = b->capacity_;
  } else {
    b->slots_per_instance_ = static_cast<size_t>(std::max(1, config.max_batch_size()));
    b->capacity_ = b->slots_per_instance_ * instance_count;
  }
  if (sb.max_sequence_idle_microseconds() > 0) {
    b->idle_ = std::chrono::microseconds(sb.max_sequence_idle_microseconds());
  }
  const auto interval =
      std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(b->idle_ / 4),
                 std::chrono::milliseconds(5), std::chrono::milliseconds(500));
  SequenceBatcher* raw = b.get();
  b->reaper_ = std::make_unique<PeriodicTask>(interval, [raw] { raw->ReapIdle(); });
  return b;
}

SequenceBatcher::~SequenceBatcher() {
  reaper_.reset();
  // Nothing is in flight (a running step holds the model, and so this), but
  // steps may still wait: answer them.
  std::vector<InferCallback> waiting;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, seq] : sequences_) {
      for (Step& step : seq.pending) waiting.push_back(std::move(step.done));
    }
    sequences_.clear();
  }
  for (auto& done : waiting) done(Unavailable("the model version is unloading"));
}

bool SequenceBatcher::IsStateOutput(const std::string& name) const {
  for (const StateSpec& s : states_) {
    if (s.output == name) return true;
  }
  return false;
}

bool SequenceBatcher::FillsInput(const std::string& name) const {
  for (const Control& c : controls_) {
    if (c.input == name) return true;
  }
  for (const StateSpec& s : states_) {
    if (s.input == name) return true;
  }
  return false;
}

size_t SequenceBatcher::active_sequences() const {
  std::lock_guard lock(mu_);
  return active_;
}

void SequenceBatcher::Submit(InferRequest request, InferCallback done, Runner run) {
  const SequenceParams& params = request.sequence;
  if (!params.HasId()) {
    return done(InvalidArgument("inference request to model '" + model_ +
                                "' must specify a non-zero or non-empty correlation ID"));
  }
  for (const Tensor& input : request.inputs) {
    if (FillsInput(input.name())) {
      return done(InvalidArgument("input '" + input.name() + "' of model '" + model_ +
                                  "' is filled by the sequence batcher; do not send it"));
    }
  }
  if (batched_ && !request.inputs.empty() &&
      (request.inputs[0].shape().empty() || request.inputs[0].shape()[0] != 1)) {
    return done(InvalidArgument("inference request to model '" + model_ +
                                "' must specify batch-size 1 due to requirements of sequence "
                                "batcher"));
  }
  const std::string key = KeyOf(params);
  std::vector<Dispatch> ready;
  bool never_started = false;
  Status refused;
  {
    std::lock_guard lock(mu_);
    auto it = sequences_.find(key);
    if (it == sequences_.end() && !params.start) {
      never_started = true;
    } else if (it == sequences_.end() && backlog_.size() >= kMaxBacklog) {
      refused = Unavailable("model '" + model_ + "' has " + std::to_string(kMaxBacklog) +
                            " sequences waiting for a slot; retry later");
    } else if (it != sequences_.end() && it->second.pending.size() >= kMaxPendingSteps) {
      refused = Unavailable("sequence " + params.IdString() + " of model '" + model_ + "' has " +
                            std::to_string(kMaxPendingSteps) + " requests queued; retry later");
    } else {
      if (it == sequences_.end()) {
        it = sequences_.emplace(key, Sequence{}).first;
        backlog_.push_back(key);
        ReleaseLocked("", ready);  // hands a free slot to the backlog, this one included
      }
      Sequence& seq = it->second;
      seq.pending.push_back(Step{std::move(request), std::move(done), std::move(run)});
      seq.last_active = std::chrono::steady_clock::now();
      if (auto d = NextLocked(key)) ready.push_back(std::move(*d));
    }
  }
  if (never_started) {
    return done(InvalidArgument("inference request for sequence " + params.IdString() +
                                " to model '" + model_ +
                                "' must specify the START flag on the first request of the "
                                "sequence"));
  }
  if (!refused.ok()) return done(refused);
  RunAll(std::move(ready));
}

namespace {
// The dispatches waiting to run on this thread, while RunAll's loop is on it.
thread_local std::deque<std::function<void()>>* t_dispatching = nullptr;
}  // namespace

void SequenceBatcher::RunAll(std::vector<Dispatch> ready) {
  if (ready.empty()) return;
  std::deque<std::function<void()>> local;
  const bool outer = t_dispatching == nullptr;
  if (outer) t_dispatching = &local;
  for (Dispatch& d : ready) {
    t_dispatching->push_back(
        [this, d = std::make_shared<Dispatch>(std::move(d))] { Run(std::move(*d)); });
  }
  if (!outer) return;  // the loop below, further up this thread's stack, runs them
  while (!local.empty()) {
    auto next = std::move(local.front());
    local.pop_front();
    next();
  }
  t_dispatching = nullptr;
}

std::optional<SequenceBatcher::Dispatch> SequenceBatcher::NextLocked(const std::string& key) {
  auto it = sequences_.find(key);
  if (it == sequences_.end()) return std::nullopt;
  Sequence& seq = it->second;
  if (seq.instance < 0 || seq.in_flight || seq.pending.empty()) return std::nullopt;
  Dispatch d{key, std::move(seq.pending.front()), seq.instance};
  seq.pending.pop_front();
  seq.in_flight = true;
  return d;
}

void SequenceBatcher::ReleaseLocked(const std::string& key, std::vector<Dispatch>& ready) {
  auto it = key.empty() ? sequences_.end() : sequences_.find(key);
  if (it != sequences_.end()) {
    if (it->second.instance >= 0) {
      --active_per_instance_[static_cast<size_t>(it->second.instance)];
      --active_;
    } else {
      backlog_.erase(std::remove(backlog_.begin(), backlog_.end(), key), backlog_.end());
    }
    sequences_.erase(it);
  }
  // Free slots go to the backlog, oldest first, on the least busy instance.
  while (!backlog_.empty() && active_ < capacity_) {
    auto least = std::min_element(active_per_instance_.begin(), active_per_instance_.end());
    if (*least >= slots_per_instance_) break;
    const std::string next = backlog_.front();
    backlog_.pop_front();
    auto seq = sequences_.find(next);
    if (seq == sequences_.end()) continue;
    seq->second.instance = static_cast<int>(least - active_per_instance_.begin());
    ++*least;
    ++active_;
    if (auto d = NextLocked(next)) ready.push_back(std::move(*d));
  }
}

Status SequenceBatcher::AddInputs(const std::string&, Sequence& seq, InferRequest& request) const {
  const SequenceParams& params = request.sequence;
  const int64_t rows = !batched_ ? 1
                                 : (request.inputs.empty() || request.inputs[0].shape().empty()
                                        ? 1
                                        : request.inputs[0].shape()[0]);
  const auto shape_of = [&](const Shape& dims) {
    Shape shape;
    if (batched_) shape.push_back(rows);
    shape.insert(shape.end(), dims.begin(), dims.end());
    return shape;
  };
  for (const Control& c : controls_) {
    Tensor t(c.input, c.dtype, shape_of(c.dims));
    INFERD_ASSIGN_OR_RETURN(int64_t count, ElementCount(t.shape()));
    if (c.kind == Seq::Control::CONTROL_SEQUENCE_CORRID) {
      if (c.dtype == DataType::kBytes) {
        std::vector<std::byte> buffer;
        for (int64_t i = 0; i < count; ++i) AppendBytesElement(buffer, params.IdString());
        t.Adopt(std::move(buffer));
      } else if (!params.id_text.empty()) {
        return InvalidArgument("model '" + model_ +
                               "' takes numeric correlation IDs (its CORRID "
                               "control is " +
                               std::string(DataTypeName(c.dtype)) + "); sequence_id '" +
                               params.id_text + "' is a string");
      } else if (c.dtype == DataType::kUint64) {
        Fill<uint64_t>(t, count, params.id);
      } else if (c.dtype == DataType::kInt64) {
        Fill<int64_t>(t, count, static_cast<int64_t>(params.id));
      } else if (c.dtype == DataType::kUint32) {
        Fill<uint32_t>(t, count, static_cast<uint32_t>(params.id));
      } else {
        Fill<int32_t>(t, count, static_cast<int32_t>(params.id));
      }
    } else {
      const bool on = c.kind == Seq::Control::CONTROL_SEQUENCE_START ? params.start
                      : c.kind == Seq::Control::CONTROL_SEQUENCE_END ? params.end
                                                                     : true;  // READY
      const double value = on ? c.true_value : c.false_value;
      if (c.dtype == DataType::kInt32) {
        Fill<int32_t>(t, count, static_cast<int32_t>(value));
      } else if (c.dtype == DataType::kFp32) {
        Fill<float>(t, count, static_cast<float>(value));
      } else {
        Fill<uint8_t>(t, count, value != 0 ? 1 : 0);
      }
    }
    request.inputs.push_back(std::move(t));
  }
  for (size_t i = 0; i < states_.size(); ++i) {
    const StateSpec& s = states_[i];
    if (i < seq.state.size() && seq.state[i]) {
      // The previous answer's state output, passed on without a copy.
      const auto& previous = seq.state[i];
      Tensor t(s.input, s.dtype, previous->shape());
      t.Borrow(std::span(previous->data(), previous->byte_size()), previous);
      request.inputs.push_back(std::move(t));
      continue;
    }
    Tensor t(s.input, s.dtype, shape_of(s.dims));
    const size_t row = s.initial.size();
    std::byte* out = t.Allocate(row * static_cast<size_t>(batched_ ? rows : 1));
    for (int64_t r = 0; r < (batched_ ? rows : 1); ++r) {
      if (row > 0) std::memcpy(out + static_cast<size_t>(r) * row, s.initial.data(), row);
    }
    request.inputs.push_back(std::move(t));
  }
  return Status::Ok();
}

void SequenceBatcher::Run(Dispatch dispatch) {
  InferRequest& request = dispatch.step.request;
  const SequenceParams params = request.sequence;
  // State outputs are the batcher's; they reach the client only when asked for.
  std::vector<bool> strip(states_.size(), true);
  if (!request.requested_outputs.empty()) {
    for (size_t i = 0; i < states_.size(); ++i) {
      auto& wanted = request.requested_outputs;
      strip[i] = std::find(wanted.begin(), wanted.end(), states_[i].output) == wanted.end();
      if (strip[i]) wanted.push_back(states_[i].output);
    }
  }
  Status added;
  {
    std::lock_guard lock(mu_);
    Sequence& seq = sequences_.at(dispatch.key);
    if (params.start) seq.state.clear();
    added = AddInputs(dispatch.key, seq, request);
  }
  InferCallback done = std::move(dispatch.step.done);
  auto finish = [this, key = dispatch.key, params, strip,
                 done = std::move(done)](StatusOr<InferResponse> result) mutable {
    std::vector<Dispatch> ready = Finished(key, params, strip, result);
    done(std::move(result));
    RunAll(std::move(ready));
  };
  if (!added.ok()) return finish(added);
  dispatch.step.run(std::move(request), dispatch.instance, std::move(finish));
}

std::vector<SequenceBatcher::Dispatch> SequenceBatcher::Finished(
    const std::string& key, const SequenceParams& params, const std::vector<bool>& strip_state,
    StatusOr<InferResponse>& result) {
  std::vector<Dispatch> ready;
  {
    std::lock_guard lock(mu_);
    auto it = sequences_.find(key);
    if (it != sequences_.end()) {
      Sequence& seq = it->second;
      seq.in_flight = false;
      seq.last_active = std::chrono::steady_clock::now();
      if (result.ok()) {
        seq.state.resize(states_.size());
        auto& outputs = result->outputs;
        for (size_t i = 0; i < states_.size(); ++i) {
          for (auto out = outputs.begin(); out != outputs.end(); ++out) {
            if (out->name() != states_[i].output) continue;
            // A copy of its own: the output may share a whole batch's buffer.
            auto kept = std::make_shared<Tensor>(out->name(), out->dtype(), out->shape());
            std::byte* bytes = kept->Allocate(out->byte_size());
            if (out->byte_size() > 0) std::memcpy(bytes, out->data(), out->byte_size());
            seq.state[i] = std::move(kept);
            if (strip_state[i]) outputs.erase(out);
            break;
          }
        }
      }
      // An END frees the slot; so does a START that failed, since the
      // sequence never began (unless more of it waits).
      const bool over = params.end || (params.start && !result.ok());
      if (over) seq.state.clear();
      if (over && seq.pending.empty()) {
        ReleaseLocked(key, ready);
      } else if (auto d = NextLocked(key)) {
        ready.push_back(std::move(*d));
      }
    }
  }
  return ready;
}

void SequenceBatcher::ReapIdle() {
  std::vector<Dispatch> ready;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> idle;
    for (const auto& [key, seq] : sequences_) {
      if (seq.instance >= 0 && !seq.in_flight && seq.pending.empty() &&
          now - seq.last_active > idle_) {
        idle.push_back(key);
      }
    }
    for (const std::string& key : idle) ReleaseLocked(key, ready);
  }
  RunAll(std::move(ready));
}

}  // namespace inferd
