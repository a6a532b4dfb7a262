#include "core/routing/shadow_mirror.h"

#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <thread>

namespace inferd {
namespace {

Tensor Scores(std::vector<float> values) {
  Tensor t("p", DataType::kFp32, {static_cast<int64_t>(values.size() / 2), 2});
  std::memcpy(t.Allocate(values.size() * 4), values.data(), values.size() * 4);
  return t;
}

RouteVariant Shadow() {
  return {"shadow", "m2", "", 0};
}

void WaitFor(const ShadowMirror& mirror, uint64_t answered) {
  for (int i = 0; i < 500; ++i) {
    const ShadowTotals t = mirror.Totals("r", "shadow");
    if (t.compared + t.errors >= answered) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "the shadow did not answer";
}

TEST(ShadowMirrorTest, ComparesTheShadowsAnswerWithThePrimarys) {
  MetricsRegistry metrics;
  ShadowMirror mirror(&metrics, 8);
  std::string asked;
  mirror.SetRunner([&asked](InferRequest request, InferCallback done) {
    asked = request.model_name + "@" + request.model_version;
    InferResponse response;
    response.outputs = {Scores({0.9f, 0.1f, 0.4f, 0.6f})};  // row 1 flips
    done(std::move(response));
  });
  mirror.Offer("r", Shadow(), 0, InferRequest{}, {Scores({0.8f, 0.2f, 0.7f, 0.3f})});
  WaitFor(mirror, 1);
  const ShadowTotals t = mirror.Totals("r", "shadow");
  EXPECT_EQ(asked, "m2@");
  EXPECT_EQ(t.mirrored, 1u);
  EXPECT_EQ(t.compared, 1u);
  EXPECT_EQ(t.rows, 2u);
  EXPECT_EQ(t.rows_agreeing, 1u);
  EXPECT_NEAR(t.outputs.at("p").abs_diff_max, 0.3, 1e-6);
}

TEST(ShadowMirrorTest, AFullQueueDropsAndCountsAndErrorsAreKept) {
  MetricsRegistry metrics;
  ShadowMirror mirror(&metrics, 2, 1);  // two waiting, one running
  std::vector<InferCallback> held;
  std::mutex mu;
  mirror.SetRunner([&](InferRequest, InferCallback done) {
    std::lock_guard lock(mu);
    held.push_back(std::move(done));  // answered later: a slow shadow
  });
  auto running = [&] {
    std::lock_guard lock(mu);
    return held.size();
  };
  mirror.Offer("r", Shadow(), 50, InferRequest{}, {});
  for (int i = 0; i < 500 && running() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(running(), 1u);
  for (int i = 0; i < 9; ++i) mirror.Offer("r", Shadow(), 50, InferRequest{}, {});
  ShadowTotals t = mirror.Totals("r", "shadow");
  EXPECT_EQ(t.mirrored, 1u);
  EXPECT_EQ(t.dropped, 7u);  // one runs, two wait, the rest cannot
  // The slow shadow times out, one request after the other.
  for (int i = 0; i < 1000 && mirror.Totals("r", "shadow").errors < 3; ++i) {
    std::vector<InferCallback> answer;
    {
      std::lock_guard lock(mu);
      answer.swap(held);
    }
    for (auto& done : answer) done(Status(StatusCode::kDeadlineExceeded, "too slow"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  t = mirror.Totals("r", "shadow");
  EXPECT_EQ(t.mirrored, 3u);
  EXPECT_EQ(t.errors, 3u);
  EXPECT_EQ(t.last_error, "too slow");
}

}  // namespace
}  // namespace inferd
