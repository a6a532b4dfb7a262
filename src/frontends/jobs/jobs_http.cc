#include "frontends/jobs/jobs_http.h"

#include <simdjson.h>

#include <charconv>
#include <chrono>
#include <fstream>

#include "core/auth/roles.h"
#include "core/model_visibility.h"
#include "core/routing/route_keys_scope.h"
#include "frontends/http/http_route_keys.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/model_selection.h"
#include "frontends/http/query_params.h"
#include "frontends/http/tabular_output.h"
#include "frontends/jobs/job_json.h"
#include "pipeline/request_context.h"

namespace inferd::jobsfe {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::JsonWriter;
using http::Method;
using http::Responder;

// An input over the size limit is 413 here (the core's RESOURCE_EXHAUSTED
// is 429 elsewhere: a full queue).
HttpResponse Error(const Status& status) {
  if (status.code() == StatusCode::kResourceExhausted)
    return http::JsonError(413, status.message());
  return http::StatusJsonError(status);
}
constexpr auto Json = &http::JsonAnswer;

const http::ProtocolErrors kErrors{"jobs-http", &http::StatusJsonError,
                                   &ModelManager::UnknownModel};

std::string Query(const HttpRequest& req, std::string_view key) {
  auto values = http::QueryParams(req.query, key);
  return values.empty() ? std::string() : values.front();
}

// GET /v1/jobs's page (as OpenAI's batch list): up to `limit` jobs (1-1000,
// default 100) after the job `after`, oldest first, only those in `state`.
struct ListPage {
  int64_t limit = 100;
  std::string after;
  std::optional<JobState> state;

  static StatusOr<ListPage> Of(const HttpRequest& req) {
    ListPage page;
    if (const std::string limit = Query(req, "limit"); !limit.empty()) {
      const auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), page.limit);
      if (ec != std::errc() || end != limit.data() + limit.size() || page.limit < 1 ||
          page.limit > 1000) {
        return InvalidArgument("limit must be a number from 1 to 1000, not '" + limit + "'");
      }
    }
    page.after = Query(req, "after");
    if (const std::string state = Query(req, "state"); !state.empty()) {
      page.state = ParseJobState(state);
      if (!page.state) return InvalidArgument("state: no job state '" + state + "'");
    }
    return page;
  }
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Str(JsonWriter& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  http::WriteJsonString(w, value);
}

void Seconds(JsonWriter& w, const char* key, int64_t ms) {
  w.Key(key);
  if (ms == 0) {
    w.Null();
  } else {
    w.Double(static_cast<double>(ms) / 1000.0);
  }
}

void WriteJob(JsonWriter& w, const JobRecord& job) {
  w.StartObject();
  Str(w, "id", job.id);
  Str(w, "url", "/v1/jobs/" + job.id);
  Str(w, "model", job.spec.model);
  Str(w, "version", job.spec.version);
  Str(w, "state", JobStateName(job.state));
  Str(w, "input_format", JobFormatName(job.spec.input_format));
  Str(w, "output_format", JobFormatName(job.spec.output_format));
  Str(w, "key_field", job.spec.key_field);
  w.Key("join_input");
  w.Bool(job.spec.join_input);
  w.Key("request_counts");
  w.StartObject();
  w.Key("total");
  w.Int64(job.total);
  w.Key("completed");
  w.Int64(job.completed);
  w.Key("failed");
  w.Int64(job.failed);
  w.EndObject();
  const int64_t done = job.completed + job.failed;
  const int64_t end = job.finished_ms != 0 ? job.finished_ms : NowMs();
  const double elapsed = job.started_ms != 0 ? static_cast<double>(end - job.started_ms) / 1000 : 0;
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  w.Key("rows_per_second");
  w.Double(rate);
  w.Key("eta_seconds");
  if (!IsFinal(job.state) && rate > 0 && job.total > 0) {
    w.Double(static_cast<double>(job.total - done) / rate);
  } else {
    w.Null();
  }
  Seconds(w, "created_at", job.created_ms);
  Seconds(w, "started_at", job.started_ms);
  Seconds(w, "finished_at", job.finished_ms);
  w.Key("error");
  if (job.error.empty()) {
    w.Null();
  } else {
    http::WriteJsonString(w, job.error);
  }
  w.Key("errors");
  w.StartArray();
  for (const RowError& e : job.first_errors) {
    w.StartObject();
    w.Key("row");
    w.Int64(e.row);
    w.Key("status");
    w.Int(e.status);
    Str(w, "message", e.message);
    w.EndObject();
  }
  w.EndArray();
  if (job.state == JobState::kCompleted || job.state == JobState::kCancelled) {
    Str(w, "results_url", "/v1/jobs/" + job.id + "/results");
  }
  w.EndObject();
}

HttpResponse JobAnswer(unsigned status, const StatusOr<JobRecord>& job) {
  if (!job.ok()) return Error(job.status());
  HttpResponse r = Json(status, [&](JsonWriter& w) { WriteJob(w, *job); });
  if (status == 202) r.headers.emplace_back("Location", "/v1/jobs/" + job->id);
  return r;
}

std::string Owner() {
  const RouteKeyValues* keys = CurrentRouteKeys();
  auto identity = keys ? keys->Identity() : std::nullopt;
  return identity.value_or("");
}

// Who calls, as far as access to jobs goes. A caller sees the jobs it
// submitted, on models it may see; an admin, or anyone when nobody
// authenticates, sees every job on those models. Others' jobs are "not
// found", as if they did not exist. Taken from the request on its I/O
// thread; the calls themselves run on the service's threads.
struct Caller {
  bool sees_all = true;
  std::string label;

  static Caller Of(const HttpRequest& req) {
    const pipeline::Identity* identity = req.identity;
    if (identity == nullptr || !identity->authenticated() || identity->roles.Has(Role::kAdmin)) {
      return Caller{};
    }
    return Caller{false, identity->Label()};
  }
  bool MayAccess(const JobRecord& job) const {
    return ModelVisibleNow(job.spec.model) && (sees_all || job.spec.owner == label);
  }
};

// The job `id`, when the caller may act on it.
StatusOr<JobRecord> Accessible(JobService& jobs, const Caller& caller, std::string_view id) {
  auto job = jobs.Get(id);
  if (job.ok() && !caller.MayAccess(*job)) {
    return NotFound("job '" + std::string(id) + "' not found");
  }
  return job;
}

// Answers what `call` returns, run on the service's threads (it waits on
// the store or the disk; this thread serves other connections), with the
// request's route keys offered there as here: the responder holds the
// request and its pipeline context (the identity) until it answers.
// `refused` runs when the service does not take the call.
void Offload(JobService& jobs, const HttpRequest& req, Responder respond,
             std::function<HttpResponse()> call, std::function<void()> refused = nullptr) {
  jobs.RunCall([&req, identity = req.identity, respond = std::move(respond), call = std::move(call),
                refused = std::move(refused)](Status ok) {
    if (!ok.ok()) {
      if (refused) refused();
      return respond(Error(ok));
    }
    HttpResponse answer;
    {
      http::HttpRouteKeys keys(req, identity);
      ScopedRouteKeys keyed(&keys);
      answer = call();
    }
    respond(std::move(answer));
  });
}

// POST /v1/jobs with the input as the body (the rest in the query).
StatusOr<JobSubmission> SubmissionFromUpload(HttpRequest& req, JobFormat format) {
  JobSubmission s;
  s.spec.model = Query(req, "model");
  s.spec.version = Query(req, "version");
  s.spec.key_field = Query(req, "key_field");
  const std::string join = Query(req, "join_input");
  s.spec.join_input = join == "true" || join == "1";
  s.spec.input_format = format;
  INFERD_ASSIGN_OR_RETURN(s.spec.output_format, FormatOption(Query(req, "output_format"),
                                                             JobFormat::kJsonl, "output_format"));
  if (!req.body_file.empty()) {
    // Streamed to disk as it came (IsSpooledUpload): the job takes the file
    // when it is submitted; until then the request removes it when it ends.
    std::error_code ec;
    if (std::filesystem::file_size(req.body_file, ec) == 0 || ec) {
      return InvalidArgument("the uploaded input is empty");
    }
    s.input_file = req.body_file;
    s.owns_input_file = true;
    return s;
  }
  if (req.body->empty()) return InvalidArgument("the uploaded input is empty");
  s.rows = *req.body;
  return s;
}

std::optional<JobFormat> UploadFormatOf(std::string_view type) {
  if (type.starts_with("text/csv")) return JobFormat::kCsv;
  if (type.starts_with("application/x-ndjson") || type.starts_with("application/jsonl") ||
      type.starts_with("application/x-jsonlines")) {
    return JobFormat::kJsonl;
  }
  return std::nullopt;
}

std::optional<JobFormat> UploadFormat(const HttpRequest& req) {
  return UploadFormatOf(req.Header("content-type"));
}

std::string_view ModelFromBody(const HttpRequest& req) {
  thread_local std::string model;
  model.clear();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view value;
  if (!parser.parse(*req.body).get(root) && !root["model"].get(value)) model = value;
  return model;
}

// The seeds' result for one line: the label of a classifier, else the
// first output (null for a row that failed).
void WriteSeedsResult(JsonWriter& w, simdjson::dom::element line, std::string_view label) {
  simdjson::dom::object prediction;
  if (line["prediction"].get(prediction)) {
    w.Null();
    return;
  }
  simdjson::dom::element value;
  bool found = !label.empty() && !prediction[label].get(value);
  if (!found) {
    for (auto field : prediction) {
      value = field.value;
      found = true;
      break;
    }
  }
  if (!found) {
    w.Null();
    return;
  }
  const std::string text = simdjson::minify(value);
  w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
}

// GET /v1/jobs: a page of the jobs the caller may see.
HttpResponse ListAnswer(JobService& jobs, const ListPage& page, const Caller& caller) {
  auto all = jobs.List();
  if (!all.ok()) return Error(all.status());
  std::vector<const JobRecord*> shown;
  bool has_more = false;
  bool past_cursor = page.after.empty();
  for (const JobRecord& job : *all) {
    if (!past_cursor) {
      past_cursor = job.id == page.after;
      continue;
    }
    if (!caller.MayAccess(job) || (page.state && job.state != *page.state)) continue;
    if (static_cast<int64_t>(shown.size()) == page.limit) {
      has_more = true;
      break;
    }
    shown.push_back(&job);
  }
  if (!past_cursor) {
    return Error(InvalidArgument("after: no job '" + page.after + "' to list after"));
  }
  return Json(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("jobs");
    w.StartArray();
    for (const JobRecord* job : shown) WriteJob(w, *job);
    w.EndArray();
    w.Key("has_more");
    w.Bool(has_more);
    w.Key("last_id");
    if (shown.empty()) {
      w.Null();
    } else {
      http::WriteJsonString(w, shown.back()->id);
    }
    w.EndObject();
  });
}

// GET /predict/batch/{task_id}: pending, or the results as the seeds' list.
HttpResponse SeedsTaskAnswer(ServerCore& core, JobService& jobs, const StatusOr<JobRecord>& job) {
  if (!job.ok()) return Error(job.status());
  if (!IsFinal(job->state)) {
    return Json(200, [](JsonWriter& w) {
      w.StartObject();
      Str(w, "status", "pending");
      w.EndObject();
    });
  }
  if (job->state != JobState::kCompleted) {
    return Json(200, [&](JsonWriter& w) {
      w.StartObject();
      Str(w, "status", JobStateName(job->state));
      Str(w, "error", job->error);
      w.EndObject();
    });
  }
  auto path = jobs.ResultsFile(job->id);
  std::ifstream in(path.ok() ? *path : std::filesystem::path(), std::ios::binary);
  if (!path.ok() || !in) return Error(Internal("cannot read the job's results"));
  std::string label;
  if (auto model = core.GetModel(job->spec.model, job->spec.version); model.ok()) {
    const http::ClassifierSpec classifier = http::FindClassifier((*model)->signature);
    if (classifier.label) label = classifier.label->name;
  }
  return Json(200, [&](JsonWriter& w) {
    w.StartObject();
    Str(w, "status", "completed");
    w.Key("result");
    w.StartArray();
    simdjson::dom::parser parser;
    std::string line;
    while (std::getline(in, line)) {
      simdjson::dom::element e;
      if (parser.parse(line).get(e)) continue;
      WriteSeedsResult(w, e, label);
    }
    w.EndArray();
    w.Key("failed_rows");
    w.Int64(job->failed);
    w.EndObject();
  });
}

}  // namespace

void AddJobRoutes(ServerCore* core, JobService* jobs, std::string default_model,
                  http::Router& router) {
  auto off = [jobs](Responder& respond) {
    if (jobs != nullptr) return false;
    respond(http::JsonError(404, "batch jobs are off"));
    return true;
  };
  http::RouteInfo submit{pipeline::RouteKind::kInfer, &kErrors};
  submit.target_reads_body = true;
  submit.model_required = true;
  submit.target = [core, default_model](const HttpRequest& req, std::string& model,
                                        std::string& version) {
    std::string given = UploadFormat(req) ? Query(req, "model") : std::string(ModelFromBody(req));
    if (given.empty()) given = std::string(req.Header("x-model"));
    auto name = http::SelectModel(*core, given, default_model, "");
    if (name.ok()) model = *name;
    version = UploadFormat(req) ? Query(req, "version") : std::string();
  };
  // A job's id names no model: each job is checked against the caller
  // (MayAccess), so a key limited to some models sees the jobs on those.
  http::RouteInfo read{pipeline::RouteKind::kRead, &kErrors,
                       [](const HttpRequest&, std::string&, std::string&) {}};
  http::RouteInfo change = read;
  change.kind = pipeline::RouteKind::kInfer;

  router.Add(Method::kPost, "/v1/jobs", submit,
             [core, jobs, off, default_model](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               const auto upload = UploadFormat(req);
               auto submission =
                   upload ? SubmissionFromUpload(req, *upload) : ParseJobSubmission(*req.body);
               if (!submission.ok()) return respond(Error(submission.status()));
               if (submission->spec.model.empty()) {
                 auto name = http::SelectModel(*core, req.Header("x-model"), default_model,
                                               "the \"model\" field");
                 if (!name.ok()) return respond(Error(name.status()));
                 submission->spec.model = *name;
               }
               submission->spec.owner = Owner();
               // The job takes the uploaded file now, or removes it if refused.
               if (submission->owns_input_file) req.body_file.clear();
               auto taken = std::make_shared<JobSubmission>(std::move(submission).value());
               Offload(
                   *jobs, req, std::move(respond),
                   [jobs, taken] { return JobAnswer(202, jobs->Submit(std::move(*taken))); },
                   [taken] {
                     std::error_code ec;  // never the job's: the upload goes
                     if (taken->owns_input_file) std::filesystem::remove(taken->input_file, ec);
                   });
             });
  router.Add(Method::kGet, "/v1/jobs", read, [jobs, off](HttpRequest& req, Responder respond) {
    if (off(respond)) return;
    auto page = ListPage::Of(req);
    if (!page.ok()) return respond(Error(page.status()));
    Offload(*jobs, req, std::move(respond), [jobs, page = *page, caller = Caller::Of(req)] {
      return ListAnswer(*jobs, page, caller);
    });
  });
  router.Add(Method::kGet, "/v1/jobs/{job}", read,
             [jobs, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               Offload(*jobs, req, std::move(respond),
                       [jobs, caller = Caller::Of(req), id = std::string(req.Param("job"))] {
                         return JobAnswer(200, Accessible(*jobs, caller, id));
                       });
             });
  router.Add(Method::kPost, "/v1/jobs/{job}/cancel", change,
             [jobs, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               Offload(*jobs, req, std::move(respond),
                       [jobs, caller = Caller::Of(req), id = std::string(req.Param("job"))] {
                         auto job = Accessible(*jobs, caller, id);
                         return JobAnswer(200, job.ok() ? jobs->Cancel(job->id) : job);
                       });
             });
  router.Add(Method::kPost, "/v1/jobs/{job}/retry", change,
             [jobs, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               Offload(*jobs, req, std::move(respond),
                       [jobs, caller = Caller::Of(req), id = std::string(req.Param("job"))] {
                         auto job = Accessible(*jobs, caller, id);
                         return JobAnswer(202, job.ok() ? jobs->Retry(job->id) : job);
                       });
             });
  router.Add(Method::kDelete, "/v1/jobs/{job}", change,
             [jobs, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               Offload(*jobs, req, std::move(respond),
                       [jobs, caller = Caller::Of(req), id = std::string(req.Param("job"))] {
                         auto job = Accessible(*jobs, caller, id);
                         if (!job.ok()) return Error(job.status());
                         if (Status s = jobs->Delete(job->id); !s.ok()) return Error(s);
                         return Json(200, [&](JsonWriter& w) {
                           w.StartObject();
                           Str(w, "id", id);
                           w.Key("deleted");
                           w.Bool(true);
                           w.EndObject();
                         });
                       });
             });
  router.Add(Method::kGet, "/v1/jobs/{job}/results", read,
             [jobs, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               Offload(*jobs, req, std::move(respond),
                       [jobs, caller = Caller::Of(req), id = std::string(req.Param("job"))] {
                         auto job = Accessible(*jobs, caller, id);
                         if (!job.ok()) return Error(job.status());
                         auto path = jobs->ResultsFile(job->id);
                         if (!path.ok()) return Error(path.status());
                         // Sent from the file as the client reads it, never whole in memory.
                         return HttpResponse{
                             200,
                             path->extension() == ".csv" ? "text/csv" : "application/x-ndjson",
                             "",
                             {},
                             path->string()};
                       });
             });

  // The seeds' shape: {"data": [[...], ...]} in, {"task_id"} out.
  router.Add(Method::kPost, "/predict/batch", submit,
             [core, jobs, off, default_model](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               auto root = http::ParseJson(*req.body);
               simdjson::dom::array data;
               if (!root.ok()) return respond(Error(root.status()));
               if ((*root)["data"].get(data)) {
                 return respond(Error(InvalidArgument("the body needs \"data\": a list of rows")));
               }
               if (data.size() == 0) return respond(Error(InvalidArgument("\"data\" is empty")));
               // The body's model before X-Model: the order the pipeline
               // authorized the call in (the route's target).
               std::string given;
               std::string_view from_body;
               if (!(*root)["model"].get(from_body)) given = from_body;
               if (given.empty()) given = std::string(req.Header("x-model"));
               auto name = http::SelectModel(*core, given, default_model,
                                             "the X-Model header or the \"model\" field");
               if (!name.ok()) return respond(Error(name.status()));
               auto taken = std::make_shared<JobSubmission>();
               taken->spec.model = *name;
               taken->spec.origin = "predict_batch";
               taken->spec.owner = Owner();
               taken->rows = RowsAsJsonl(data);
               Offload(*jobs, req, std::move(respond), [jobs, taken] {
                 auto job = jobs->Submit(std::move(*taken));
                 if (!job.ok()) return Error(job.status());
                 return Json(200, [&](JsonWriter& w) {
                   w.StartObject();
                   Str(w, "task_id", job->id);
                   w.EndObject();
                 });
               });
             });
  router.Add(Method::kGet, "/predict/batch/{task_id}", read,
             [core, jobs, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               Offload(
                   *jobs, req, std::move(respond),
                   [core, jobs, caller = Caller::Of(req), id = std::string(req.Param("task_id"))] {
                     return SeedsTaskAnswer(*core, *jobs, Accessible(*jobs, caller, id));
                   });
             });
}

bool IsSpooledUpload(std::string_view target, std::string_view content_type) {
  return target.substr(0, target.find('?')) == "/v1/jobs" &&
         UploadFormatOf(content_type).has_value();
}

}  // namespace inferd::jobsfe
