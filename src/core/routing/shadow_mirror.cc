#include "core/routing/shadow_mirror.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "core/routing/shadow_compare.h"
#include "observability/log.h"

namespace inferd {

ShadowMirror::ShadowMirror(MetricsRegistry* registry, size_t capacity, size_t max_running)
    : registry_(registry),
      capacity_(std::max<size_t>(1, capacity)),
      max_running_(std::max<size_t>(1, max_running)),
      thread_([this] { Run(); }) {}

ShadowMirror::~ShadowMirror() {
  Stop();
  // Answers still in flight report to this object.
  std::unique_lock lock(mu_);
  wake_.wait(lock, [this] { return running_ == 0; });
}

void ShadowMirror::SetRunner(Runner runner) {
  std::lock_guard lock(mu_);
  runner_ = std::move(runner);
}

void ShadowMirror::Stop() {
  cancelled_->store(true);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Counter& ShadowMirror::Outcome(const std::string& route, const std::string& variant,
                               const char* outcome) {
  return registry_->GetCounter(
      "inferd_route_shadow_requests_total",
      "Requests mirrored to a route's shadow, by outcome (compared, error, dropped).",
      {{"route", route}, {"variant", variant}, {"outcome", outcome}});
}

void ShadowMirror::Offer(const std::string& route, const RouteVariant& variant, uint32_t timeout_ms,
                         InferRequest request, std::vector<Tensor> primary) {
  request.model_name = variant.model;
  request.model_version = variant.version;
  request.timeout = std::chrono::milliseconds(timeout_ms == 0 ? 1000 : timeout_ms);
  request.cancelled = cancelled_;
  {
    std::lock_guard lock(mu_);
    ShadowTotals& totals = totals_[{route, variant.name}];
    totals.variant = variant.name;
    if (stopping_ || !runner_ || queue_.size() >= capacity_) {
      ++totals.dropped;
    } else {
      queue_.push_back({route, variant.name, std::move(request), std::move(primary)});
      wake_.notify_all();
      return;
    }
  }
  if (registry_) Outcome(route, variant.name, "dropped").Increment();
}

void ShadowMirror::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || (!queue_.empty() && running_ < max_running_); });
    if (stopping_) return;
    auto job = std::make_shared<Job>(std::move(queue_.front()));
    queue_.pop_front();
    ++running_;
    ++totals_[{job->route, job->variant}].mirrored;
    Runner runner = runner_;
    lock.unlock();
    InferRequest request = std::move(job->request);
    const auto sent = std::chrono::steady_clock::now();
    runner(std::move(request), [this, job, sent](StatusOr<InferResponse> answer) {
      Done(*job, answer, std::chrono::steady_clock::now() - sent);
    });
    lock.lock();
  }
}

void ShadowMirror::Done(const Job& job, const StatusOr<InferResponse>& answer,
                        std::chrono::steady_clock::duration took) {
  std::vector<OutputComparison> compared;
  if (answer.ok()) compared = CompareOutputs(job.primary, answer->outputs);
  const double seconds = std::chrono::duration<double>(took).count();
  {
    std::lock_guard lock(mu_);
    ShadowTotals& totals = totals_[{job.route, job.variant}];
    totals.latency_count += 1;
    totals.latency_sum_s += seconds;
    if (!answer.ok()) {
      ++totals.errors;
      totals.last_error = answer.status().message();
    } else {
      ++totals.compared;
      for (const OutputComparison& c : compared) {
        totals.rows += c.rows;
        totals.rows_agreeing += c.rows_agreeing;
        ShadowOutputTotals& out = totals.outputs[c.name];
        out.values += c.values;
        out.abs_diff_sum += c.abs_diff_sum;
        out.abs_diff_max = std::max(out.abs_diff_max, c.abs_diff_max);
        out.mismatches += c.mismatch;
      }
    }
    if (registry_) {
      const MetricLabels labels{{"route", job.route}, {"variant", job.variant}};
      registry_
          ->GetHistogram("inferd_route_shadow_duration_seconds",
                         "Time a route's shadow took to answer a mirrored request.", labels,
                         MetricsRegistry::LatencyBucketsSeconds())
          .Observe(seconds);
      registry_
          ->GetGauge("inferd_route_shadow_agreement",
                     "Share of rows whose label (or argmax) the shadow answered as the primary "
                     "did, since the server started.",
                     labels)
          .Set(totals.rows == 0 ? 1.0 : static_cast<double>(totals.rows_agreeing) / totals.rows);
      for (const auto& [name, out] : totals.outputs) {
        MetricLabels output = labels;
        output.emplace_back("output", name);
        registry_
            ->GetGauge("inferd_route_shadow_abs_diff_max",
                       "Largest absolute difference between the shadow's and the primary's "
                       "values of an output.",
                       output)
            .Set(out.abs_diff_max);
        registry_
            ->GetGauge("inferd_route_shadow_abs_diff_mean",
                       "Mean absolute difference between the shadow's and the primary's values "
                       "of an output.",
                       output)
            .Set(out.values == 0 ? 0.0 : out.abs_diff_sum / out.values);
      }
    }
  }
  if (registry_) Outcome(job.route, job.variant, answer.ok() ? "compared" : "error").Increment();
  if (!answer.ok()) {
    LogDebug(
        "shadow request failed",
        {{"route", job.route}, {"variant", job.variant}, {"reason", answer.status().message()}});
  }
  // Last: the destructor may run as soon as nothing is running.
  std::lock_guard lock(mu_);
  --running_;
  wake_.notify_all();
}

ShadowTotals ShadowMirror::Totals(const std::string& route, const std::string& variant) const {
  std::lock_guard lock(mu_);
  auto it = totals_.find({route, variant});
  return it == totals_.end() ? ShadowTotals{} : it->second;
}

}  // namespace inferd
