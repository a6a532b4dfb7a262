#include "core/scheduler/model_scheduler.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "core/scheduler/batch_assembly.h"

namespace inferd {
namespace {

// A backend computing y = 2x row by row, recording the batch sizes it saw.
class DoublingBackend : public Backend {
 public:
  DoublingBackend() {
    sig_.inputs.push_back({"x", DataType::kFp32, {-1, 2}, {}, ""});
    sig_.outputs.push_back({"y", DataType::kFp32, {-1, 2}, {}, ""});
  }
  const ModelSignature& signature() const override { return sig_; }
  StatusOr<std::vector<Tensor>> Execute(std::span<const Tensor> inputs,
                                        std::span<const size_t>) override {
    const Tensor& x = inputs[0];
    Tensor y("y", DataType::kFp32, x.shape());
    auto* out = reinterpret_cast<float*>(y.Allocate(x.byte_size()));
    for (size_t i = 0; i < x.byte_size() / 4; ++i) out[i] = 2 * x.data_as<float>()[i];
    std::lock_guard lock(mu_);
    batches_.push_back(x.shape()[0]);
    std::vector<Tensor> result;
    result.push_back(std::move(y));
    return result;
  }
  std::vector<int64_t> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  ModelSignature sig_;
  std::mutex mu_;
  std::vector<int64_t> batches_;
};

PreparedRequest Rows(int64_t rows, float first) {
  PreparedRequest r;
  Tensor x("x", DataType::kFp32, {rows, 2});
  auto* p = reinterpret_cast<float*>(x.Allocate(static_cast<size_t>(rows) * 8));
  for (int64_t i = 0; i < rows * 2; ++i) p[i] = first + static_cast<float>(i);
  r.inputs.push_back(std::move(x));
  r.outputs = {0};
  r.served_outputs = {0};
  return r;
}

TEST(ModelSchedulerTest, BatchesQueuedRequestsAndSplitsOutputsExactly) {
  DoublingBackend backend;
  SchedulerOptions options;
  options.dynamic_batching = true;
  options.max_batch_size = 64;
  // Long enough that only reaching the preferred size can dispatch the batch.
  options.max_queue_delay = std::chrono::seconds(30);
  options.preferred_batch_sizes = {6};
  ModelScheduler scheduler(&backend, options);
  std::vector<std::promise<StatusOr<std::vector<Tensor>>>> results(3);
  const int64_t rows[3] = {1, 2, 3};
  for (int i = 0; i < 3; ++i) {
    QueuedRequest q;
    q.prepared = Rows(rows[i], 100.0f * static_cast<float>(i));
    q.done = [&results, i](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
      results[i].set_value(std::move(r));
    };
    ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
  }
  for (int i = 0; i < 3; ++i) {
    auto r = results[i].get_future().get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Tensor& y = (*r)[0];
    ASSERT_EQ(y.shape(), (Shape{rows[i], 2}));
    for (int64_t k = 0; k < rows[i] * 2; ++k) {
      EXPECT_EQ(y.data_as<float>()[k],
                2 * (100.0f * static_cast<float>(i) + static_cast<float>(k)));
    }
  }
  EXPECT_EQ(backend.batches(), (std::vector<int64_t>{6}));  // one batch at the preferred size
}

TEST(ModelSchedulerTest, FullQueueIsUnavailable) {
  DoublingBackend backend;
  SchedulerOptions options;
  options.dynamic_batching = true;
  options.max_batch_size = 1000;
  options.max_queue_delay = std::chrono::seconds(5);
  options.levels = {QueuePolicy{2, {}, false}};
  std::atomic<int> done{0};  // outlives the scheduler, which runs the queue as it stops
  ModelScheduler scheduler(&backend, options);
  auto make = [&] {
    QueuedRequest q;
    q.prepared = Rows(1, 0);
    q.done = [&done](StatusOr<std::vector<Tensor>>, const ExecutionReport&) { ++done; };
    return q;
  };
  ASSERT_TRUE(scheduler.Enqueue(make()).ok());
  ASSERT_TRUE(scheduler.Enqueue(make()).ok());
  Status third = scheduler.Enqueue(make());
  EXPECT_EQ(third.code(), StatusCode::kUnavailable);
}

TEST(ModelSchedulerTest, ExpiredRequestsAreNotRun) {
  DoublingBackend backend;
  ModelScheduler scheduler(&backend, SchedulerOptions{});
  std::promise<StatusOr<std::vector<Tensor>>> result;
  QueuedRequest q;
  q.prepared = Rows(1, 0);
  q.timeout = std::chrono::microseconds(1);
  q.enqueued = SchedulerClock::now() - std::chrono::milliseconds(1);
  q.done = [&result](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
    result.set_value(std::move(r));
  };
  ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
  auto r = result.get_future().get();
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(backend.batches().empty());
}

// A backend that blocks every Execute until released, to hold the instance busy.
class GatedBackend : public DoublingBackend {
 public:
  StatusOr<std::vector<Tensor>> Execute(std::span<const Tensor> inputs,
                                        std::span<const size_t> outputs) override {
    std::unique_lock lock(gate_mu_);
    ++entered_;
    gate_cv_.notify_all();
    gate_cv_.wait(lock, [this] { return open_; });
    lock.unlock();
    return DoublingBackend::Execute(inputs, outputs);
  }
  void WaitEntered(int n) {
    std::unique_lock lock(gate_mu_);
    gate_cv_.wait(lock, [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard lock(gate_mu_);
    open_ = true;
    gate_cv_.notify_all();
  }

 private:
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  int entered_ = 0;
  bool open_ = false;
};

TEST(ModelSchedulerTest, QueuedRequestsThatTimeOutOrAreCancelledDoNotRun) {
  GatedBackend backend;
  ModelScheduler scheduler(&backend, SchedulerOptions{});
  std::promise<StatusCode> first, late, gone;
  auto enqueue = [&](std::promise<StatusCode>& p, std::optional<std::chrono::microseconds> timeout,
                     std::shared_ptr<std::atomic<bool>> cancelled) {
    QueuedRequest q;
    q.prepared = Rows(1, 0);
    q.timeout = timeout;
    q.cancelled = std::move(cancelled);
    q.done = [&p](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
      p.set_value(r.status().code());
    };
    ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
  };
  enqueue(first, std::nullopt, nullptr);
  backend.WaitEntered(1);  // the only instance is busy from here on
  enqueue(late, std::chrono::microseconds(1000), nullptr);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  enqueue(gone, std::nullopt, flag);
  flag->store(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the 1 ms timeout
  backend.Open();
  EXPECT_EQ(first.get_future().get(), StatusCode::kOk);
  EXPECT_EQ(late.get_future().get(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(gone.get_future().get(), StatusCode::kCancelled);
  EXPECT_EQ(backend.batches().size(), 1u);  // only the first ran
}

TEST(ModelSchedulerTest, MoreUrgentLevelRunsFirst) {
  GatedBackend backend;
  SchedulerOptions options;
  options.levels = {QueuePolicy{}, QueuePolicy{}};
  options.default_level = 1;
  ModelScheduler scheduler(&backend, options);
  std::mutex order_mu;
  std::vector<float> order;
  std::atomic<int> finished{0};
  auto enqueue = [&](float tag, std::optional<uint32_t> level) {
    QueuedRequest q;
    q.prepared = Rows(1, tag);
    q.level = level;
    q.done = [&, tag](StatusOr<std::vector<Tensor>>, const ExecutionReport&) {
      std::lock_guard lock(order_mu);
      order.push_back(tag);
      ++finished;
    };
    ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
  };
  enqueue(0, std::nullopt);
  backend.WaitEntered(1);
  enqueue(1, std::nullopt);  // default level (the less urgent one)
  enqueue(2, 0u);            // most urgent: overtakes 1
  backend.Open();
  while (finished.load() < 3) std::this_thread::yield();
  EXPECT_EQ(order, (std::vector<float>{0, 2, 1}));
}

TEST(ModelSchedulerTest, BackgroundWorkWaitsForEveryLevelAndIgnoresTheirBounds) {
  GatedBackend backend;
  SchedulerOptions options;
  options.levels = {QueuePolicy{1, {}, false}};  // one waiting request at most
  ModelScheduler scheduler(&backend, options);
  std::mutex order_mu;
  std::vector<float> order;
  std::atomic<int> finished{0};
  auto enqueue = [&](float tag, bool background) {
    QueuedRequest q;
    q.prepared = Rows(1, tag);
    q.background = background;
    q.done = [&, tag](StatusOr<std::vector<Tensor>>, const ExecutionReport&) {
      std::lock_guard lock(order_mu);
      order.push_back(tag);
      ++finished;
    };
    return scheduler.Enqueue(std::move(q));
  };
  ASSERT_TRUE(enqueue(0, false).ok());
  backend.WaitEntered(1);
  // Background requests queue past the level's bound; online ones still
  // have theirs.
  ASSERT_TRUE(enqueue(10, true).ok());
  ASSERT_TRUE(enqueue(11, true).ok());
  ASSERT_TRUE(enqueue(1, false).ok());
  EXPECT_EQ(enqueue(2, false).code(), StatusCode::kUnavailable);
  backend.Open();
  while (finished.load() < 4) std::this_thread::yield();
  EXPECT_EQ(order, (std::vector<float>{0, 1, 10, 11}));  // online first, though queued last
}

// Records the scheduling policy of the thread each batch ran on.
class PolicyRecordingBackend : public DoublingBackend {
 public:
  StatusOr<std::vector<Tensor>> Execute(std::span<const Tensor> inputs,
                                        std::span<const size_t> outputs) override {
    {
      std::lock_guard lock(policies_mu_);
      policies_.push_back(sched_getscheduler(0));
    }
    return DoublingBackend::Execute(inputs, outputs);
  }
  std::vector<int> policies() {
    std::lock_guard lock(policies_mu_);
    return policies_;
  }

 private:
  std::mutex policies_mu_;
  std::vector<int> policies_;
};

TEST(ModelSchedulerTest, BackgroundWorkRunsAtIdlePriorityAndOnlineWorkDoesNot) {
  PolicyRecordingBackend backend;
  ModelScheduler scheduler(&backend, SchedulerOptions{});
  for (bool background : {false, true, false, true}) {
    std::promise<void> ran;
    QueuedRequest q;
    q.prepared = Rows(1, 0);
    q.background = background;
    q.done = [&ran](StatusOr<std::vector<Tensor>>, const ExecutionReport&) { ran.set_value(); };
    ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
    ran.get_future().wait();
  }
  EXPECT_EQ(backend.policies(),
            (std::vector<int>{SCHED_OTHER, SCHED_IDLE, SCHED_OTHER, SCHED_IDLE}));
}

TEST(ModelSchedulerTest, BackgroundWorkStillQueuedRunsBeforeTheSchedulerGoes) {
  GatedBackend backend;
  std::atomic<int> ran{0};
  {
    ModelScheduler scheduler(&backend, SchedulerOptions{});
    QueuedRequest first;
    first.prepared = Rows(1, 0);
    first.done = [&](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
      if (r.ok()) ++ran;
    };
    ASSERT_TRUE(scheduler.Enqueue(std::move(first)).ok());
    backend.WaitEntered(1);  // the only instance is busy: the others wait
    for (int i = 0; i < 3; ++i) {
      QueuedRequest q;
      q.prepared = Rows(1, 0);
      q.background = true;
      q.done = [&](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
        if (r.ok()) ++ran;
      };
      ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
    }
    backend.Open();
  }
  EXPECT_EQ(ran.load(), 4);
}

// A budget of one unit that records whether it was held while a batch ran.
class OneUnitBudget final : public BackgroundBudget {
 public:
  void Acquire() override {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return free_; });
    --waiting_;
    free_ = false;
    ++acquired_;
  }
  void Release() override {
    std::lock_guard lock(mu_);
    free_ = true;
    cv_.notify_all();
  }
  void WaitForAWaiter() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return waiting_ > 0; });
  }
  bool held() {
    std::lock_guard lock(mu_);
    return !free_;
  }
  int acquired() {
    std::lock_guard lock(mu_);
    return acquired_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool free_ = true;
  int waiting_ = 0;
  int acquired_ = 0;
};

TEST(ModelSchedulerTest, BackgroundWorkRunsHoldingItsBudgetAndWaitsForIt) {
  DoublingBackend backend;
  auto budget = std::make_shared<OneUnitBudget>();
  std::promise<bool> held_while_running;
  std::promise<bool> online;
  auto answered = held_while_running.get_future();
  {
    ModelScheduler scheduler(&backend, SchedulerOptions{});
    budget->Acquire();  // the jobs' own thread has the only unit
    QueuedRequest q;
    q.prepared = Rows(1, 0);
    q.background = true;
    q.budget = budget;
    q.done = [&](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
      held_while_running.set_value(r.ok() && budget->held());
    };
    EXPECT_TRUE(scheduler.Enqueue(std::move(q)).ok());
    budget->WaitForAWaiter();  // the background thread waits for the unit...
    EXPECT_EQ(answered.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
    // ... while online work never does.
    QueuedRequest now;
    now.prepared = Rows(1, 0);
    now.done = [&](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
      online.set_value(r.ok());
    };
    EXPECT_TRUE(scheduler.Enqueue(std::move(now)).ok());
    EXPECT_TRUE(online.get_future().get());
    budget->Release();  // even when a check failed: the scheduler's end needs it
    EXPECT_TRUE(answered.get());
  }
  // The test's own unit, then the background thread's at least once (again
  // when its first look found the instance taken by the online request).
  EXPECT_GE(budget->acquired(), 2);
  EXPECT_FALSE(budget->held());  // given back once the batch ran
}

TEST(ModelSchedulerTest, ARequestThatMustRunAloneIsNeverBatched) {
  GatedBackend backend;
  SchedulerOptions options;
  options.dynamic_batching = true;
  options.max_batch_size = 64;
  ModelScheduler scheduler(&backend, options);
  std::atomic<int> finished{0};
  auto enqueue = [&](bool alone) {
    QueuedRequest q;
    q.prepared = Rows(1, 0);
    q.run_alone = alone;
    q.done = [&](StatusOr<std::vector<Tensor>>, const ExecutionReport&) { ++finished; };
    ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
  };
  enqueue(false);
  backend.WaitEntered(1);
  enqueue(false);
  enqueue(true);  // between two that could batch
  enqueue(false);
  enqueue(true);
  backend.Open();
  while (finished.load() < 5) std::this_thread::yield();
  // 1, then the first queued alone (the one behind it stops the batch),
  // then the alone one alone, then the last two may not join each other.
  EXPECT_EQ(backend.batches(), (std::vector<int64_t>{1, 1, 1, 1, 1}));
}

TEST(ModelSchedulerTest, LevelDefaultTimeoutAppliesUnlessOverrideAllowed) {
  GatedBackend backend;
  SchedulerOptions options;
  // Level 0 has no timeout (it holds the instance busy, however slow the
  // machine); level 1, the default, times out after 500 us.
  options.levels = {QueuePolicy{}, QueuePolicy{0, std::chrono::microseconds(500), false}};
  options.default_level = 1;
  ModelScheduler scheduler(&backend, options);
  std::promise<StatusCode> first, capped;
  auto enqueue = [&](std::promise<StatusCode>& p, std::optional<std::chrono::microseconds> t,
                     std::optional<uint32_t> level) {
    QueuedRequest q;
    q.prepared = Rows(1, 0);
    q.timeout = t;
    q.level = level;
    q.done = [&p](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
      p.set_value(r.status().code());
    };
    ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
  };
  enqueue(first, std::nullopt, 0u);
  backend.WaitEntered(1);
  // Asks for a minute, but the level's 500 us default holds without override.
  enqueue(capped, std::chrono::seconds(60), std::nullopt);
  EXPECT_EQ(capped.get_future().get(),
            StatusCode::kDeadlineExceeded);  // while the instance is busy
  backend.Open();
  EXPECT_EQ(first.get_future().get(), StatusCode::kOk);
}

TEST(BatchAssemblyTest, BytesOutputsSplitOnElementBoundaries) {
  std::vector<std::byte> buffer;
  for (const char* s : {"a", "bb", "", "dddd", "e"}) AppendBytesElement(buffer, s);
  Tensor t("s", DataType::kBytes, {5});
  t.Adopt(std::move(buffer));
  std::vector<Tensor> outputs;
  outputs.push_back(std::move(t));
  const int64_t sizes[] = {2, 3};
  auto pieces = SplitOutputs(std::move(outputs), sizes);
  ASSERT_TRUE(pieces.ok());
  auto first = SplitBytesElements((*pieces)[0][0].bytes(), 2);
  auto second = SplitBytesElements((*pieces)[1][0].bytes(), 3);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*first)[1], "bb");
  EXPECT_EQ((*second)[1], "dddd");
}

TEST(BatchAssemblyTest, MismatchedOutputIsAnError) {
  Tensor t("y", DataType::kFp32, {3});
  t.Allocate(12);
  std::vector<Tensor> outputs;
  outputs.push_back(std::move(t));
  const int64_t sizes[] = {2, 2};
  EXPECT_FALSE(SplitOutputs(std::move(outputs), sizes).ok());
}

// Records which thread (instance) ran each request, by its first value.
class ThreadRecordingBackend : public DoublingBackend {
 public:
  StatusOr<std::vector<Tensor>> Execute(std::span<const Tensor> inputs,
                                        std::span<const size_t> outputs) override {
    {
      std::lock_guard lock(mu_);
      const float* x = inputs[0].data_as<float>();
      for (int64_t r = 0; r < inputs[0].shape()[0]; ++r) {
        thread_of_[x[r * 2]] = std::this_thread::get_id();
        order_.push_back(x[r * 2]);
      }
    }
    return DoublingBackend::Execute(inputs, outputs);
  }
  std::thread::id ThreadOf(float first) {
    std::lock_guard lock(mu_);
    return thread_of_.at(first);
  }
  std::vector<float> Order() {
    std::lock_guard lock(mu_);
    return order_;
  }

 private:
  std::mutex mu_;
  std::map<float, std::thread::id> thread_of_;
  std::vector<float> order_;  // rows in the order they ran
};

TEST(ModelSchedulerTest, PinnedRequestsRunOnTheirInstanceInOrder) {
  ThreadRecordingBackend backend;
  SchedulerOptions options;
  options.instances = 3;
  options.dynamic_batching = true;
  options.max_batch_size = 4;
  ModelScheduler scheduler(&backend, options);
  constexpr int kPerInstance = 12;
  std::vector<std::promise<void>> done(3 * kPerInstance);
  for (int k = 0; k < kPerInstance; ++k) {
    for (int instance = 0; instance < 3; ++instance) {
      const int n = k * 3 + instance;
      QueuedRequest q;
      q.prepared = Rows(1, static_cast<float>(1000 * instance + k));
      q.instance = instance;
      q.done = [&done, n](StatusOr<std::vector<Tensor>> r, const ExecutionReport&) {
        EXPECT_TRUE(r.ok());
        done[n].set_value();
      };
      ASSERT_TRUE(scheduler.Enqueue(std::move(q)).ok());
    }
  }
  for (auto& d : done) d.get_future().wait();
  for (int instance = 0; instance < 3; ++instance) {
    const auto thread = backend.ThreadOf(static_cast<float>(1000 * instance));
    for (int k = 1; k < kPerInstance; ++k) {
      EXPECT_EQ(backend.ThreadOf(static_cast<float>(1000 * instance + k)), thread)
          << "instance " << instance << " request " << k;
    }
  }
  // Each instance ran its own requests in the order they were queued.
  std::map<int, float> last;
  for (float v : backend.Order()) {
    const int instance = static_cast<int>(v) / 1000;
    if (last.count(instance)) {
      EXPECT_LT(last[instance], v) << "instance " << instance;
    }
    last[instance] = v;
  }
  EXPECT_NE(backend.ThreadOf(0), backend.ThreadOf(1000));
  EXPECT_NE(backend.ThreadOf(1000), backend.ThreadOf(2000));
  QueuedRequest bad;
  bad.prepared = Rows(1, 0);
  bad.instance = 3;
  bad.done = [](StatusOr<std::vector<Tensor>>, const ExecutionReport&) {};
  EXPECT_FALSE(scheduler.Enqueue(std::move(bad)).ok());
}

}  // namespace
}  // namespace inferd
