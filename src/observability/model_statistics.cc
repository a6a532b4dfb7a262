#include "observability/model_statistics.h"

namespace inferd {
namespace {

double Seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

uint64_t NowMillisSinceEpoch() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

std::string_view RequestStatusLabel(StatusCode code) {
  return code == StatusCode::kOk ? "success" : StatusCodeName(code);
}

void ModelStatistics::AtomicDuration::Add(std::chrono::nanoseconds d) {
  count.fetch_add(1, std::memory_order_relaxed);
  ns.fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, d.count())), std::memory_order_relaxed);
}

DurationStat ModelStatistics::AtomicDuration::Load() const {
  return {count.load(std::memory_order_relaxed), ns.load(std::memory_order_relaxed)};
}

ModelStatistics::ModelStatistics(MetricsRegistry* registry, const std::string& model,
                                 int64_t version)
    : registry_(registry), labels_{{"model", model}, {"version", std::to_string(version)}} {
  if (!registry_) return;
  const auto& latency = MetricsRegistry::LatencyBucketsSeconds();
  request_seconds_ = &registry_->GetHistogram(
      "inferd_request_duration_seconds",
      "Time from a request's arrival in the core to its answer, by model version.", labels_,
      latency);
  queue_seconds_ =
      &registry_->GetHistogram("inferd_queue_duration_seconds",
                               "Time requests waited in the model's queue.", labels_, latency);
  compute_seconds_ = &registry_->GetHistogram(
      "inferd_compute_duration_seconds",
      "Time of the execution that served a request (input merge, model, output split).", labels_,
      latency);
  batch_size_ = &registry_->GetHistogram("inferd_batch_size",
                                         "Rows per model execution (after dynamic batching).",
                                         labels_, MetricsRegistry::BatchSizeBuckets());
  executions_ =
      &registry_->GetCounter("inferd_executions_total", "Model executions (batches run).", labels_);
  inferences_ = &registry_->GetCounter("inferd_inferences_total",
                                       "Rows inferred by successful executions.", labels_);
  inflight_ =
      &registry_->GetGauge("inferd_inflight_requests",
                           "Requests in the core for this version (queued or running).", labels_);
}

void ModelStatistics::RecordExecution(const ExecutionReport& report, size_t /*requests*/) {
  execution_count_.fetch_add(1, std::memory_order_relaxed);
  last_inference_ms_.store(NowMillisSinceEpoch(), std::memory_order_relaxed);
  if (!report.succeeded) return;
  inference_count_.fetch_add(static_cast<uint64_t>(report.batch_size), std::memory_order_relaxed);
  {
    std::lock_guard lock(batch_mu_);
    BatchStat& stat = batch_stats_[report.batch_size];
    stat.batch_size = report.batch_size;
    auto add = [](DurationStat& d, std::chrono::nanoseconds v) {
      ++d.count;
      d.ns += static_cast<uint64_t>(std::max<int64_t>(0, v.count()));
    };
    add(stat.compute_input, report.compute_input);
    add(stat.compute_infer, report.compute_infer);
    add(stat.compute_output, report.compute_output);
  }
  if (!registry_) return;
  executions_->Increment();
  inferences_->Increment(static_cast<double>(report.batch_size));
  batch_size_->Observe(static_cast<double>(report.batch_size));
}

void ModelStatistics::RecordRequest(std::string_view protocol, const Status& status,
                                    std::chrono::nanoseconds total, const ExecutionReport& report) {
  if (status.ok()) {
    success_.Add(total);
    queue_.Add(report.queue);
    compute_input_.Add(report.compute_input);
    compute_infer_.Add(report.compute_infer);
    compute_output_.Add(report.compute_output);
  } else {
    fail_.Add(total);
  }
  if (!registry_) return;
  RequestCounter(protocol, status.code())->Increment();
  request_seconds_->Observe(Seconds(total));
  if (status.ok()) {
    queue_seconds_->Observe(Seconds(report.queue));
    compute_seconds_->Observe(
        Seconds(report.compute_input + report.compute_infer + report.compute_output));
  }
}

Counter* ModelStatistics::RequestCounter(std::string_view protocol, StatusCode code) {
  std::lock_guard lock(counters_mu_);
  for (const CounterKey& key : counters_) {
    if (key.code == code && key.protocol == protocol) return key.counter;
  }
  MetricLabels labels = labels_;
  labels.emplace_back("protocol", std::string(protocol));
  labels.emplace_back("status", std::string(RequestStatusLabel(code)));
  Counter* counter =
      &registry_->GetCounter("inferd_requests_total",
                             "Inference requests by model, version, protocol and status.", labels);
  counters_.push_back({std::string(protocol), code, counter});
  return counter;
}

void ModelStatistics::RequestStarted() {
  if (inflight_) inflight_->Add(1);
}

void ModelStatistics::RequestFinished() {
  if (inflight_) inflight_->Add(-1);
}

ModelStatisticsSnapshot ModelStatistics::Snapshot() const {
  ModelStatisticsSnapshot s;
  s.last_inference_ms = last_inference_ms_.load(std::memory_order_relaxed);
  s.inference_count = inference_count_.load(std::memory_order_relaxed);
  s.execution_count = execution_count_.load(std::memory_order_relaxed);
  s.success = success_.Load();
  s.fail = fail_.Load();
  s.queue = queue_.Load();
  s.compute_input = compute_input_.Load();
  s.compute_infer = compute_infer_.Load();
  s.compute_output = compute_output_.Load();
  std::lock_guard lock(batch_mu_);
  for (const auto& [size, stat] : batch_stats_) s.batch_stats.push_back(stat);
  return s;
}

}  // namespace inferd
