#include "core/scheduler/sequence_batcher.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <future>

namespace inferd {
namespace {

ModelSignature Accumulator() {
  ModelSignature sig;
  for (const char* name : {"INPUT", "START", "STATE_IN"}) {
    sig.inputs.push_back({name, DataType::kFp32, {-1, 1}, {}, ""});
  }
  sig.inputs.push_back({"CORRID", DataType::kUint64, {-1, 1}, {}, ""});
  sig.outputs.push_back({"OUTPUT", DataType::kFp32, {-1, 1}, {}, ""});
  sig.outputs.push_back({"STATE_OUT", DataType::kFp32, {-1, 1}, {}, ""});
  return sig;
}

inference::ModelConfig Config(const std::string& sequence_batching) {
  inference::ModelConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "name: \"acc\" max_batch_size: 4 sequence_batching { " + sequence_batching + " }", &config));
  return config;
}

constexpr const char* kGood = R"(
  control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START fp32_false_true: [0, 1] } ] },
                  { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] } ]
  state [ { input_name: "STATE_IN" output_name: "STATE_OUT" dims: [1] } ])";

TEST(SequenceBatcherTest, ModelsWithoutSequenceBatchingGetNone) {
  inference::ModelConfig plain;
  auto batcher = SequenceBatcher::Make(plain, Accumulator(), "/nonexistent", 1);
  ASSERT_TRUE(batcher.ok());
  EXPECT_EQ(*batcher, nullptr);
}

TEST(SequenceBatcherTest, BadConfigsAreRefusedWithTheReason) {
  const std::pair<std::string, std::string> cases[] = {
      {R"(control_input [ { name: "NOPE" control [ { kind: CONTROL_SEQUENCE_START fp32_false_true: [0, 1] } ] } ])",
       "is not a model input"},
      {R"(control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START fp32_false_true: [0] } ] } ])",
       "two entries"},
      {R"(control_input [ { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] } ])",
       "is INT32 but the model input is FP32"},
      {R"(control_input [ { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_FP32 } ] } ])",
       "needs data_type"},
      {R"(state [ { input_name: "STATE_IN" output_name: "MISSING" } ])",
       "must be a model input and output"},
      {R"(oldest { max_candidate_sequences: 0 })", "max_candidate_sequences"},
  };
  for (const auto& [text, words] : cases) {
    auto batcher = SequenceBatcher::Make(Config(text), Accumulator(), "/nonexistent", 1);
    ASSERT_FALSE(batcher.ok()) << text;
    EXPECT_NE(batcher.status().message().find(words), std::string::npos)
        << batcher.status().message();
  }
}

TEST(SequenceBatcherTest, FillsControlsAndCarriesStateInOrder) {
  auto made = SequenceBatcher::Make(Config(kGood), Accumulator(), "/nonexistent", 2);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  SequenceBatcher& batcher = **made;
  EXPECT_TRUE(batcher.FillsInput("START"));
  EXPECT_TRUE(batcher.FillsInput("STATE_IN"));
  EXPECT_FALSE(batcher.FillsInput("INPUT"));
  // A runner that computes the accumulator itself, answering at once.
  std::vector<int> instances;
  auto run = [&](InferRequest request, int instance, InferCallback done) {
    instances.push_back(instance);
    float input = 0, start = 0, state = 0;
    uint64_t corrid = 0;
    for (const Tensor& t : request.inputs) {
      if (t.name() == "INPUT") input = t.data_as<float>()[0];
      if (t.name() == "START") start = t.data_as<float>()[0];
      if (t.name() == "STATE_IN") state = t.data_as<float>()[0];
      if (t.name() == "CORRID") corrid = t.data_as<uint64_t>()[0];
    }
    EXPECT_EQ(corrid, 77u);
    InferResponse response;
    const float sum = input + (start != 0 ? 0 : state);
    for (const char* name : {"OUTPUT", "STATE_OUT"}) {
      Tensor t(name, DataType::kFp32, {1, 1});
      *reinterpret_cast<float*>(t.Allocate(4)) = sum;
      response.outputs.push_back(std::move(t));
    }
    done(std::move(response));
  };
  std::vector<float> outputs;
  for (int k = 0; k < 4; ++k) {
    InferRequest r;
    Tensor x("INPUT", DataType::kFp32, {1, 1});
    *reinterpret_cast<float*>(x.Allocate(4)) = static_cast<float>(k + 1);
    r.inputs.push_back(std::move(x));
    r.sequence.id = 77;
    r.sequence.start = k == 0;
    r.sequence.end = k == 3;
    batcher.Submit(
        std::move(r),
        [&](StatusOr<InferResponse> result) {
          ASSERT_TRUE(result.ok()) << result.status().ToString();
          ASSERT_EQ(result->outputs.size(), 1u);  // STATE_OUT is the batcher's
          outputs.push_back(result->outputs[0].data_as<float>()[0]);
        },
        run);
  }
  EXPECT_EQ(outputs, (std::vector<float>{1, 3, 6, 10}));
  ASSERT_EQ(instances.size(), 4u);
  for (int i : instances) EXPECT_EQ(i, instances[0]);  // one instance for the whole sequence
  EXPECT_EQ(batcher.active_sequences(), 0u);           // the END freed its slot
}

InferRequest Step(uint64_t id, bool start, bool end, float value = 1) {
  InferRequest r;
  Tensor x("INPUT", DataType::kFp32, {1, 1});
  *reinterpret_cast<float*>(x.Allocate(4)) = value;
  r.inputs.push_back(std::move(x));
  r.sequence.id = id;
  r.sequence.start = start;
  r.sequence.end = end;
  return r;
}

// Steps that fail at once must not recurse into each other: a client can
// queue many steps behind a running one.
TEST(SequenceBatcherTest, StepsFailingAtOnceDoNotRecurse) {
  auto made = SequenceBatcher::Make(Config(kGood), Accumulator(), "/nonexistent", 1);
  ASSERT_TRUE(made.ok());
  SequenceBatcher& batcher = **made;
  InferCallback first_done;
  int depth = 0, max_depth = 0, calls = 0;
  auto run = [&](InferRequest, int, InferCallback done) {
    ++calls;
    if (calls == 1) {  // the first step stays in flight until released below
      first_done = std::move(done);
      return;
    }
    ++depth;
    max_depth = std::max(max_depth, depth);
    done(Unavailable("failing at once"));
    --depth;
  };
  int answered = 0, refused = 0;
  auto count = [&](StatusOr<InferResponse> r) {
    ++answered;
    if (!r.ok() && r.status().code() == StatusCode::kUnavailable) ++refused;
  };
  batcher.Submit(Step(9, true, false), count, run);
  const int queued = static_cast<int>(SequenceBatcher::kMaxPendingSteps);
  for (int i = 0; i < queued + 5; ++i) batcher.Submit(Step(9, false, false), count, run);
  EXPECT_EQ(refused, 5);  // past kMaxPendingSteps
  InferResponse ok;
  first_done(std::move(ok));
  EXPECT_EQ(answered, queued + 6);
  EXPECT_EQ(calls, queued + 1);
  EXPECT_EQ(max_depth, 1);
}

TEST(SequenceBatcherTest, BacklogGetsTheSlotAnEndFrees) {
  // One instance, max_batch_size 4: four slots.
  auto made = SequenceBatcher::Make(Config(kGood), Accumulator(), "/nonexistent", 1);
  ASSERT_TRUE(made.ok());
  SequenceBatcher& batcher = **made;
  std::vector<uint64_t> ran;
  auto run = [&](InferRequest r, int, InferCallback done) {
    ran.push_back(r.sequence.id);
    done(InferResponse{});
  };
  auto ignore = [](StatusOr<InferResponse>) {};
  for (uint64_t id = 1; id <= 5; ++id) batcher.Submit(Step(id, true, false), ignore, run);
  EXPECT_EQ(ran, (std::vector<uint64_t>{1, 2, 3, 4}));  // 5 waits for a slot
  EXPECT_EQ(batcher.active_sequences(), 4u);
  batcher.Submit(Step(2, false, true), ignore, run);
  EXPECT_EQ(ran, (std::vector<uint64_t>{1, 2, 3, 4, 2, 5}));
  EXPECT_EQ(batcher.active_sequences(), 4u);
  // A request with more than one row is refused, as Triton refuses it.
  InferRequest two = Step(1, false, false);
  two.inputs[0] = Tensor("INPUT", DataType::kFp32, {2, 1});
  two.inputs[0].Allocate(8);
  Status status;
  batcher.Submit(
      std::move(two), [&](StatusOr<InferResponse> r) { status = r.status(); }, run);
  EXPECT_NE(status.message().find("must specify batch-size 1"), std::string::npos);
}

}  // namespace
}  // namespace inferd
