#include "main/jobs_command.h"

#include <rapidjson/writer.h>
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "frontends/http/json_buffer.h"
#include "main/admin_client.h"
#include "main/file_text.h"

namespace inferd {
namespace {

int Fail(const std::string& message) {
  std::cerr << "inferd jobs: " << message << "\n";
  return 1;
}

struct JobView {
  std::string id, state, error;
  int64_t total = 0, completed = 0, failed = 0;
  double rate = 0, eta = -1;
};

StatusOr<JobView> ViewOf(simdjson::dom::element e) {
  JobView v;
  std::string_view text;
  if (e["id"].get(text)) return Internal("the server's answer names no job");
  v.id = text;
  if (!e["state"].get(text)) v.state = text;
  if (!e["error"].get(text)) v.error = text;
  simdjson::dom::element counts;
  if (!e["request_counts"].get(counts)) {
    int64_t n = 0;
    if (!counts["total"].get(n)) v.total = n;
    if (!counts["completed"].get(n)) v.completed = n;
    if (!counts["failed"].get(n)) v.failed = n;
  }
  double d = 0;
  if (!e["rows_per_second"].get(d)) v.rate = d;
  if (!e["eta_seconds"].get(d)) v.eta = d;
  return v;
}

StatusOr<JobView> FetchJob(const AdminClient& client, const std::string& id) {
  simdjson::dom::parser parser;
  INFERD_ASSIGN_OR_RETURN(simdjson::dom::element e,
                          OkJson(client.Send("GET", "/v1/jobs/" + UrlEncode(id)), parser));
  return ViewOf(e);
}

bool IsFinalState(const std::string& state) {
  return state == "completed" || state == "failed" || state == "cancelled";
}

std::string Line(const JobView& v) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s  %-11s %lld/%lld rows, %lld failed", v.id.c_str(),
                v.state.c_str(), static_cast<long long>(v.completed + v.failed),
                static_cast<long long>(v.total), static_cast<long long>(v.failed));
  return buf;
}

// Polls until the job is final; a progress bar on a terminal, else nothing
// until the end. Exit code 0 for completed.
int Wait(const AdminClient& client, const std::string& id) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  while (true) {
    auto v = FetchJob(client, id);
    if (!v.ok()) return Fail(v.status().message());
    if (tty) {
      const int64_t done = v->completed + v->failed;
      const double share = v->total > 0 ? static_cast<double>(done) / v->total : 0;
      const int width = 30, filled = static_cast<int>(share * width);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.append(static_cast<size_t>(width - filled), '.');
      char buf[256];
      std::snprintf(
          buf, sizeof buf, "\r[%s] %3.0f%% %lld/%lld rows, %.0f rows/s%s %-11s", bar.c_str(),
          share * 100, static_cast<long long>(done), static_cast<long long>(v->total), v->rate,
          v->eta >= 0 ? (", ETA " + std::to_string(static_cast<int>(v->eta)) + " s").c_str() : "",
          v->state.c_str());
      std::cerr << buf << std::flush;
    }
    if (IsFinalState(v->state)) {
      if (tty) std::cerr << "\n";
      std::cout << Line(*v) << (v->error.empty() ? "" : "  (" + v->error + ")") << "\n";
      return v->state == "completed" ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 250 : 500));
  }
}

int Submit(const AdminClient& client, const JobsOptions& o) {
  StatusOr<AdminReply> reply = Internal("");
  if (!o.file.empty()) {
    auto read = ReadFileText(o.file);
    if (!read.ok()) return Fail(read.status().message());
    const std::string& body = *read;
    const bool csv = o.file.ends_with(".csv");
    std::string path = "/v1/jobs?model=" + UrlEncode(o.model);
    if (!o.version.empty()) path += "&version=" + UrlEncode(o.version);
    if (!o.output_format.empty()) path += "&output_format=" + UrlEncode(o.output_format);
    if (!o.key_field.empty()) path += "&key_field=" + UrlEncode(o.key_field);
    if (o.join_input) path += "&join_input=true";
    reply = client.Send("POST", path, body, csv ? "text/csv" : "application/x-ndjson");
  } else if (!o.input_path.empty()) {
    http::JsonBuffer buffer;
    rapidjson::Writer<http::JsonBuffer> w(buffer);
    auto field = [&w](const char* key, std::string_view value) {
      if (value.empty()) return;
      w.Key(key);
      w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    };
    w.StartObject();
    field("model", o.model);
    field("input_path", o.input_path);
    field("version", o.version);
    field("output_format", o.output_format);
    field("key_field", o.key_field);
    if (o.join_input) {
      w.Key("join_input");
      w.Bool(true);
    }
    w.EndObject();
    reply = client.Send("POST", "/v1/jobs", buffer.Release());
  } else {
    return Fail("submit needs a FILE to upload or --input-path");
  }
  if (reply.ok() && reply->status == 202) reply->status = 200;  // accepted is success here
  simdjson::dom::parser parser;
  auto answer = OkJson(reply, parser);
  if (!answer.ok()) return Fail(answer.status().message());
  auto v = ViewOf(*answer);
  if (!v.ok()) return Fail(v.status().message());
  std::cout << "submitted " << v->id << "\n";
  return o.wait ? Wait(client, v->id) : 0;
}

// Every job, a page at a time.
int List(const AdminClient& client) {
  std::string after;
  while (true) {
    simdjson::dom::parser parser;
    auto answer =
        OkJson(client.Send("GET", "/v1/jobs?limit=1000" + (after.empty() ? "" : "&after=" + after)),
               parser);
    if (!answer.ok()) return Fail(answer.status().message());
    simdjson::dom::array jobs;
    if ((*answer)["jobs"].get(jobs)) return Fail("the server's answer lists no jobs");
    for (simdjson::dom::element e : jobs) {
      auto v = ViewOf(e);
      if (v.ok()) std::cout << Line(*v) << "\n";
    }
    bool more = false;
    std::string_view last;
    if ((*answer)["has_more"].get(more) || !more || (*answer)["last_id"].get(last)) return 0;
    after = std::string(last);
  }
}

int PrintJob(const StatusOr<AdminReply>& reply) {
  auto body = OkBody(reply);
  if (!body.ok()) {
    // 202 (retry) is a success too.
    if (reply.ok() && reply->status == 202) {
      std::cout << reply->body << "\n";
      return 0;
    }
    return Fail(body.status().message());
  }
  std::cout << *body << "\n";
  return 0;
}

int Results(const AdminClient& client, const JobsOptions& o) {
  auto body = OkBody(client.Send("GET", "/v1/jobs/" + UrlEncode(o.job) + "/results"));
  if (!body.ok()) return Fail(body.status().message());
  if (o.output.empty()) {
    std::cout << *body;
    return 0;
  }
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  out << *body;
  if (!out.flush()) return Fail("cannot write " + o.output);
  std::cerr << "wrote " << o.output << "\n";
  return 0;
}

}  // namespace

CLI::App* AddJobsCommand(CLI::App& app, JobsOptions& o) {
  CLI::App* jobs = app.add_subcommand("jobs", "Run and follow batch jobs on a running server");
  jobs->require_subcommand(1);
  jobs->add_option("--url", o.url, "The server's HTTP address")->capture_default_str();
  auto with_job = [&o](CLI::App* cmd) {
    cmd->add_option("job", o.job, "The job's id")->required();
    return cmd;
  };
  CLI::App* submit = jobs->add_subcommand(
      "submit",
      "Submit a job: a local CSV or JSONL file, or a file under the server's input folder");
  submit->add_option("file", o.file, "A .csv (with a header) or .jsonl file to upload");
  submit->add_option("--input-path", o.input_path, "A file under the server's --jobs-input-dir");
  submit->add_option("--model", o.model, "The model (or route)")->required();
  submit->add_option("--version", o.version, "The model version (default: the model's default)");
  submit->add_option("--output-format", o.output_format, "jsonl (default) or csv");
  submit->add_option("--key-field", o.key_field, "A column each result line names");
  submit->add_flag("--join-input", o.join_input, "Each result line repeats its input row");
  submit->add_flag("--wait", o.wait, "Follow the job to its end (a progress bar on a terminal)");
  jobs->add_subcommand("list", "Every job: id, state, rows done and failed");
  with_job(jobs->add_subcommand("status", "One job as JSON"));
  with_job(jobs->add_subcommand("wait", "Follow a job to its end; exit 0 when it completed"));
  with_job(jobs->add_subcommand("cancel", "Cancel a job (what it recorded stays)"));
  with_job(jobs->add_subcommand("retry", "Run a job's failed rows again"));
  with_job(jobs->add_subcommand("delete", "Delete a finished job and its files"));
  CLI::App* results = with_job(jobs->add_subcommand("results", "Download a job's results"));
  results->add_option("-o,--output", o.output, "A file (default: standard output)");
  return jobs;
}

int RunJobs(const CLI::App& jobs, const JobsOptions& o) {
  auto client = AdminClient::Connect(o.url);
  if (!client.ok()) return Fail(client.status().message());
  auto parsed = [&jobs](const char* name) { return jobs.get_subcommand(name)->parsed(); };
  const std::string path = "/v1/jobs/" + UrlEncode(o.job);
  if (parsed("submit")) return Submit(*client, o);
  if (parsed("list")) return List(*client);
  if (parsed("status")) return PrintJob(client->Send("GET", path));
  if (parsed("wait")) return Wait(*client, o.job);
  if (parsed("cancel")) return PrintJob(client->Send("POST", path + "/cancel"));
  if (parsed("retry")) return PrintJob(client->Send("POST", path + "/retry"));
  if (parsed("delete")) {
    return ReportReply(client->Send("DELETE", path), "jobs", "job " + o.job + " deleted");
  }
  if (parsed("results")) return Results(*client, o);
  return 0;
}

}  // namespace inferd
