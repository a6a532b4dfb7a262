// One request as every thread that works for it sees it: the fields its log
// lines carry (request id, trace) and where its inferences' time went.
//
// The request's server (the HTTP router, the gRPC gate) makes one once the
// pipeline has admitted the request and installs it on the handler's thread
// (ScopedRequest); the core takes the current one into the work it queues
// (an inference, an admin change) and installs it on the thread that does
// that work, so every line the request causes names it. A batch runs with all
// of its requests installed; its lines name every id.
//
// Ownership: shared by the server and the work queued for the request.
// Thread-safety: RequestScope is thread-safe; the installed scopes are
// thread-local.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferd {

class RequestScope {
 public:
  // `id_from_client`: the client chose the id (X-Request-ID); a name the
  // request gives itself later does not replace it.
  RequestScope(std::string request_id, bool id_from_client, std::string trace_id,
               std::string span_id);

  std::string request_id() const;
  // The id the request names itself in its body (KServe's `id`): it becomes
  // the request id unless the client chose one; the first such name wins.
  // Ids that do not suit a log line (empty, too long, spaces or controls)
  // are ignored.
  void AdoptNamedId(std::string_view id);

  // Adds one inference's time (a stream's requests add up).
  void AddExecution(std::chrono::nanoseconds queue, std::chrono::nanoseconds compute);
  struct Execution {
    std::chrono::nanoseconds queue{0};
    std::chrono::nanoseconds compute{0};
  };
  std::optional<Execution> execution() const;

  // The route and variant that served the request, when the core resolved
  // a route for it (the last one, for a stream).
  struct ServedBy {
    std::string route;
    std::string variant;
    std::string model;
    int64_t version = 0;
  };
  void SetServedBy(ServedBy served_by);
  void ClearServedBy();
  // Shared, not copied: every answer and the core read it per request.
  std::shared_ptr<const ServedBy> served_by() const;

  // request_id, trace_id, span_id (empty values left out).
  std::vector<std::pair<std::string, std::string>> LogFields() const;

  // What an id must look like to be used as one (printable ASCII without
  // spaces or commas, 1 to 200 characters): it goes into log lines (a
  // batch's joined with commas) and headers.
  static bool IsAcceptableId(std::string_view id);

 private:
  mutable std::mutex mu_;
  std::string request_id_;
  bool id_fixed_;
  const std::string trace_id_;
  const std::string span_id_;
  std::optional<Execution> execution_;
  std::shared_ptr<const ServedBy> served_by_;
};

// The requests installed on this thread (empty: none).
const std::vector<std::shared_ptr<RequestScope>>& CurrentRequests();
// The one request installed on this thread, or null (none, or a batch).
std::shared_ptr<RequestScope> CurrentRequest();

// Installs requests on this thread while alive; scopes nest. A stack object:
// destroy it on the thread that made it, in reverse order of creation.
class ScopedRequest {
 public:
  explicit ScopedRequest(std::shared_ptr<RequestScope> request);
  explicit ScopedRequest(std::vector<std::shared_ptr<RequestScope>> requests);
  ~ScopedRequest();
  ScopedRequest(const ScopedRequest&) = delete;
  ScopedRequest& operator=(const ScopedRequest&) = delete;

 private:
  std::vector<std::shared_ptr<RequestScope>> requests_;
  const std::vector<std::shared_ptr<RequestScope>>* previous_;
};

}  // namespace inferd
