// A small Prometheus metrics registry: counters, gauges and histograms with
// labels, rendered in the text exposition format (version 0.0.4).
//
// Thread-safety: everything is thread-safe. Metric objects live as long as the
// registry and never move, so callers keep references and update them
// without locks (atomics) on the request path; only creating a new labelled
// series takes the registry's mutex.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace inferd {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then +Inf; and the sum.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

class MetricsRegistry {
 public:
  Counter& GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels);
  Gauge& GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels);
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const MetricLabels& labels, const std::vector<double>& bounds);

  // Called at every scrape to set gauges whose value is read, not tracked
  // (process RSS, queue depths, model states).
  void AddCollector(std::function<void(MetricsRegistry&)> collector);

  // Drops every series of a gauge family, so a collector can rebuild it at
  // each scrape and series of things that went away (unloaded model
  // versions) disappear. Only for gauges that collectors set: nobody may hold
  // a reference to them.
  void ClearGauges(const std::string& name);

  std::string RenderPrometheus();

  static const std::vector<double>& LatencyBucketsSeconds();
  static const std::vector<double>& BatchSizeBuckets();

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered labels
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& FamilyFor(const std::string& name, const std::string& help, Type type);

  std::mutex scrape_mu_;  // one scrape at a time: collectors rebuild series
  std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(MetricsRegistry&)>> collectors_;
};

// Renders {a="x",b="y"} with Prometheus escaping ("" when there are none).
std::string RenderLabels(const MetricLabels& labels);

}  // namespace inferd
