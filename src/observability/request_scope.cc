#include "observability/request_scope.h"

namespace inferd {
namespace {

thread_local const std::vector<std::shared_ptr<RequestScope>>* t_requests = nullptr;

}  // namespace

RequestScope::RequestScope(std::string request_id, bool id_from_client, std::string trace_id,
                           std::string span_id)
    : request_id_(std::move(request_id)),
      id_fixed_(id_from_client),
      trace_id_(std::move(trace_id)),
      span_id_(std::move(span_id)) {}

bool RequestScope::IsAcceptableId(std::string_view id) {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id) {
    // No commas either: a batch's log lines join its ids with them.
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

std::string RequestScope::request_id() const {
  std::lock_guard lock(mu_);
  return request_id_;
}

void RequestScope::AdoptNamedId(std::string_view id) {
  if (!IsAcceptableId(id)) return;
  std::lock_guard lock(mu_);
  if (id_fixed_) return;
  request_id_ = std::string(id);
  id_fixed_ = true;
}

void RequestScope::AddExecution(std::chrono::nanoseconds queue, std::chrono::nanoseconds compute) {
  std::lock_guard lock(mu_);
  if (!execution_) execution_ = Execution{};
  execution_->queue += queue;
  execution_->compute += compute;
}

std::optional<RequestScope::Execution> RequestScope::execution() const {
  std::lock_guard lock(mu_);
  return execution_;
}

void RequestScope::SetServedBy(ServedBy served_by) {
  auto shared = std::make_shared<const ServedBy>(std::move(served_by));
  std::lock_guard lock(mu_);
  served_by_ = std::move(shared);
}

void RequestScope::ClearServedBy() {
  std::lock_guard lock(mu_);
  served_by_.reset();
}

std::shared_ptr<const RequestScope::ServedBy> RequestScope::served_by() const {
  std::lock_guard lock(mu_);
  return served_by_;
}

std::vector<std::pair<std::string, std::string>> RequestScope::LogFields() const {
  std::vector<std::pair<std::string, std::string>> fields;
  std::lock_guard lock(mu_);
  if (!request_id_.empty()) fields.emplace_back("request_id", request_id_);
  if (!trace_id_.empty()) fields.emplace_back("trace_id", trace_id_);
  if (!span_id_.empty()) fields.emplace_back("span_id", span_id_);
  return fields;
}

const std::vector<std::shared_ptr<RequestScope>>& CurrentRequests() {
  static const std::vector<std::shared_ptr<RequestScope>> kNone;
  return t_requests ? *t_requests : kNone;
}

std::shared_ptr<RequestScope> CurrentRequest() {
  const auto& requests = CurrentRequests();
  return requests.size() == 1 ? requests.front() : nullptr;
}

ScopedRequest::ScopedRequest(std::shared_ptr<RequestScope> request) : previous_(t_requests) {
  if (request) requests_.push_back(std::move(request));
  t_requests = &requests_;
}

ScopedRequest::ScopedRequest(std::vector<std::shared_ptr<RequestScope>> requests)
    : requests_(std::move(requests)), previous_(t_requests) {
  std::erase(requests_, nullptr);
  t_requests = &requests_;
}

ScopedRequest::~ScopedRequest() {
  t_requests = previous_;
}

}  // namespace inferd
