#include "observability/metrics.h"

#include <gtest/gtest.h>

namespace inferd {
namespace {

TEST(MetricsTest, RendersPrometheusTextWithLabelsAndHistograms) {
  MetricsRegistry registry;
  registry.GetCounter("inferd_requests_total", "Requests.", {{"model", "m"}, {"code", "200"}})
      .Increment();
  registry.GetCounter("inferd_requests_total", "Requests.", {{"model", "m"}, {"code", "200"}})
      .Increment(2);
  auto& h =
      registry.GetHistogram("inferd_latency_seconds", "Latency.", {{"model", "a\"b"}}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  registry.AddCollector([](MetricsRegistry& r) { r.GetGauge("inferd_up", "Up.", {}).Set(1); });
  const std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE inferd_requests_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("inferd_requests_total{model=\"m\",code=\"200\"} 3"), std::string::npos);
  EXPECT_NE(text.find("inferd_latency_seconds_bucket{model=\"a\\\"b\",le=\"0.1\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("inferd_latency_seconds_bucket{model=\"a\\\"b\",le=\"+Inf\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("inferd_latency_seconds_count{model=\"a\\\"b\"} 3"), std::string::npos);
  EXPECT_NE(text.find("inferd_up 1"), std::string::npos);
}

TEST(MetricsTest, CollectorsCanRebuildAGaugeFamilySoGoneSeriesVanish) {
  MetricsRegistry registry;
  std::vector<std::string> versions = {"1", "2"};
  registry.AddCollector([&versions](MetricsRegistry& r) {
    r.ClearGauges("inferd_model_state");
    for (const auto& v : versions) {
      r.GetGauge("inferd_model_state", "State.", {{"version", v}}).Set(1);
    }
  });
  std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("inferd_model_state{version=\"1\"} 1"), std::string::npos) << text;
  versions = {"2"};
  text = registry.RenderPrometheus();
  EXPECT_EQ(text.find("version=\"1\""), std::string::npos) << text;
  EXPECT_NE(text.find("inferd_model_state{version=\"2\"} 1"), std::string::npos) << text;
  registry.ClearGauges("no_such_family");  // harmless
}

}  // namespace
}  // namespace inferd
