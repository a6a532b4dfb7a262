#include "jobs/chunk_runner.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/scheduler/thread_pool.h"
#include "frontends/http/csv_parser.h"
#include "frontends/http/http_types.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/tabular_codec.h"
#include "frontends/http/tabular_output.h"
#include "jobs/job_rows.h"
#include "jobs/numeric_rows.h"

namespace inferd::jobs {
namespace {

// A base table seen through a subset of its rows, without the key column.
class SubsetTable final : public http::Table {
 public:
  SubsetTable(const http::Table& base, std::vector<size_t> rows, std::optional<size_t> drop)
      : base_(base), rows_(std::move(rows)), drop_(drop) {
    for (size_t c = 0; c < base.columns().size(); ++c) {
      if (c != drop_) columns_.push_back(base.columns()[c]);
    }
  }
  size_t num_rows() const override { return rows_.size(); }
  size_t num_columns() const override { return base_.num_columns() - (drop_ ? 1 : 0); }
  const std::vector<std::string>& columns() const override { return columns_; }
  Status Row(size_t r, std::vector<http::Cell>& cells) const override {
    INFERD_RETURN_IF_ERROR(base_.Row(rows_[r], cells));
    if (drop_ && *drop_ < cells.size()) cells.erase(cells.begin() + static_cast<long>(*drop_));
    return Status::Ok();
  }

 private:
  const http::Table& base_;
  std::vector<size_t> rows_;
  std::optional<size_t> drop_;
  std::vector<std::string> columns_;
};

// The rows to run, parsed as one table; rows that do not parse alone are
// left out with their error.
class ParsedRows {
 public:
  // `texts`: the rows to run. Fills `errors` (by position in `texts`) for
  // rows that do not parse; the others are rows of table(), in order.
  Status Parse(const JobSpec& spec, std::string_view header,
               const std::vector<std::string_view>& texts, std::vector<std::string>& errors) {
    errors.assign(texts.size(), "");
    std::vector<size_t> good;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (spec.input_format == JobFormat::kJsonl) {
        simdjson::dom::element e;
        const auto error = scratch_.parse(texts[i].data(), texts[i].size()).get(e);
        if (error) errors[i] = std::string("malformed JSON: ") + simdjson::error_message(error);
      } else {
        const std::string one = std::string(header) + "\n" + std::string(texts[i]) + "\n";
        auto table = http::CsvTable::Parse(one);
        if (!table.ok()) {
          errors[i] = table.status().message();
        } else if (table->num_rows() != 1) {
          errors[i] = "not one CSV record";
        }
      }
      if (errors[i].empty()) good.push_back(i);
    }
    positions_ = good;
    if (spec.input_format == JobFormat::kCsv) return ParseCsv(spec, header, texts);
    return ParseJsonl(spec, texts);
  }

  const http::Table* table() const { return table_.get(); }
  // Positions (in the texts given to Parse) of the table's rows.
  const std::vector<size_t>& positions() const { return positions_; }
  std::optional<size_t> key_column() const { return key_column_; }
  // The key of table row `r` (empty when there is none).
  std::string Key(size_t r) const { return r < keys_.size() ? keys_[r] : std::string(); }

 private:
  Status ParseCsv(const JobSpec& spec, std::string_view header,
                  const std::vector<std::string_view>& texts) {
    std::string text(header);
    text += '\n';
    for (size_t p : positions_) {
      text.append(texts[p]);
      text += '\n';
    }
    INFERD_ASSIGN_OR_RETURN(http::CsvTable table, http::CsvTable::Parse(text));
    if (!spec.key_field.empty()) {
      const auto& columns = table.columns();
      auto it = std::find(columns.begin(), columns.end(), spec.key_field);
      if (it == columns.end()) {
        return InvalidArgument("the CSV header has no column '" + spec.key_field + "' (key_field)");
      }
      key_column_ = static_cast<size_t>(it - columns.begin());
      std::vector<http::Cell> cells;
      for (size_t r = 0; r < table.num_rows(); ++r) {
        INFERD_RETURN_IF_ERROR(table.Row(r, cells));
        keys_.emplace_back(cells[*key_column_].text);
      }
    }
    table_ = std::make_unique<http::CsvTable>(std::move(table));
    return Status::Ok();
  }

  Status ParseJsonl(const JobSpec& spec, const std::vector<std::string_view>& texts) {
    std::string joined = "[";
    for (size_t p : positions_) {
      if (joined.size() > 1) joined += ',';
      joined.append(texts[p]);
    }
    joined += ']';
    simdjson::dom::element root;
    if (auto error = parser_.parse(joined).get(root); error) {
      return InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(error));
    }
    std::vector<simdjson::dom::element> rows = http::ArrayElements(root.get_array().value());
    const bool records = !rows.empty() && rows.front().is_object();
    const bool arrays = !rows.empty() && rows.front().is_array();
    for (const auto& row : rows) {
      if (row.is_object() != records || row.is_array() != arrays) {
        return InvalidArgument("the rows mix JSON objects, arrays and values");
      }
      std::string key;
      if (!spec.key_field.empty() && records) {
        simdjson::dom::element value;
        if (!row[spec.key_field].get(value)) {
          key =
              value.is_string() ? std::string(value.get_string().value()) : simdjson::minify(value);
        }
      }
      keys_.push_back(std::move(key));
    }
    if (records) {
      INFERD_ASSIGN_OR_RETURN(http::JsonRecordsTable table,
                              http::JsonRecordsTable::Make(std::move(rows)));
      if (!spec.key_field.empty()) {
        const auto& columns = table.columns();
        auto it = std::find(columns.begin(), columns.end(), spec.key_field);
        if (it != columns.end()) key_column_ = static_cast<size_t>(it - columns.begin());
      }
      table_ = std::make_unique<http::JsonRecordsTable>(std::move(table));
    } else {
      INFERD_ASSIGN_OR_RETURN(http::JsonRowsTable table,
                              http::JsonRowsTable::Make(std::move(rows), {}, !arrays));
      table_ = std::make_unique<http::JsonRowsTable>(std::move(table));
    }
    return Status::Ok();
  }

  simdjson::dom::parser scratch_;
  simdjson::dom::parser parser_;
  std::unique_ptr<http::Table> table_;
  std::vector<size_t> positions_;
  std::optional<size_t> key_column_;
  std::vector<std::string> keys_;
};

// An answer that says nothing of the rows: the model could not take them
// now, or the job was cancelled. The chunk is not recorded.
bool Unrecorded(const Status& status) {
  return status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kCancelled;
}

// The prediction objects of a request's rows, in one text.
struct Predictions {
  std::string text;
  std::vector<size_t> ends;  // row k is text[ends[k - 1] (or 0), ends[k])
  std::string_view Row(size_t k) const {
    const size_t begin = k == 0 ? 0 : ends[k - 1];
    return std::string_view(text).substr(begin, ends[k] - begin);
  }
};

struct RowResult {
  bool done = false;
  bool failed = false;
  int status = 0;
  std::string message;
  std::shared_ptr<const Predictions> predictions;  // and this row's place in them
  size_t prediction = 0;
};

// One chunk in flight: its rows, their results, and the requests still out.
struct ChunkWork {
  JobSpec spec;
  JobChunk chunk;
  std::vector<std::string_view> texts;  // every row of the chunk
  std::vector<std::string> keys;        // per row of the chunk ("" when none)
  std::vector<RowResult> results;       // per row of the chunk
  std::vector<bool> to_run;
  ChunkRunner::Done done;
  std::shared_ptr<JobThreads> threads;           // the jobs' own; null: the caller's
  std::shared_ptr<std::atomic<bool>> cancelled;  // the job's: queued requests are dropped
  std::mutex mu;
  int pending = 0;
  Status unavailable;
};

void WriteRowInput(const ChunkWork& work, size_t i, http::JsonWriter& w) {
  const std::string_view text = work.texts[i];
  if (work.spec.input_format == JobFormat::kJsonl) {
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    if (!parser.parse(text.data(), text.size()).get(e)) {
      w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
    } else {
      http::WriteJsonString(w, text);  // a row that is not JSON, as its text
    }
    return;
  }
  auto table = http::CsvTable::Parse(work.chunk.header + "\n" + std::string(text) + "\n");
  std::vector<http::Cell> cells;
  if (!table.ok() || table->num_rows() != 1 || !table->Row(0, cells).ok()) {
    http::WriteJsonString(w, text);
    return;
  }
  w.StartObject();
  for (size_t c = 0; c < table->columns().size(); ++c) {
    http::WriteJsonString(w, table->columns()[c]);
    http::WriteJsonString(w, cells[c].text);
  }
  w.EndObject();
}

// Row `i`'s result line, without its line end.
void WriteResultLine(const ChunkWork& work, size_t i, http::JsonWriter& w) {
  const RowResult& r = work.results[i];
  w.StartObject();
  w.Key("row");
  w.Int64(work.chunk.first_row + static_cast<int64_t>(i));
  if (!work.spec.key_field.empty()) {
    w.Key("key");
    if (work.keys[i].empty()) {
      w.Null();
    } else {
      http::WriteJsonString(w, work.keys[i]);
    }
  }
  if (work.spec.join_input) {
    w.Key("input");
    WriteRowInput(work, i, w);
  }
  if (r.failed) {
    w.Key("error");
    w.StartObject();
    w.Key("status");
    w.Int(r.status);
    w.Key("message");
    http::WriteJsonString(w, r.message);
    w.EndObject();
  } else {
    w.Key("prediction");
    const std::string_view prediction = r.predictions->Row(r.prediction);
    w.RawValue(prediction.data(), prediction.size(), rapidjson::kObjectType);
  }
  w.EndObject();
}

void Fail(RowResult& r, int status, std::string message) {
  r.done = true;
  r.failed = true;
  r.status = status;
  r.message = std::move(message);
}

// Called with work->mu not held, once every request of the chunk answered.
void Finish(const std::shared_ptr<ChunkWork>& work) {
  if (!work->unavailable.ok()) return work->done(work->unavailable);
  std::vector<std::string_view> previous;
  SplitRows(JobFormat::kJsonl, work->chunk.previous_results, true, previous);
  JobChunkResult out;
  out.job_id = work->chunk.job_id;
  out.index = work->chunk.index;
  // Every line into one buffer, the writer started again for each.
  http::JsonBuffer buffer(work->texts.size() * 96);
  http::JsonWriter w(buffer);
  for (size_t i = 0; i < work->texts.size(); ++i) {
    const RowResult& r = work->results[i];
    bool failed = r.failed;
    if (!work->to_run[i] && i < previous.size()) {
      buffer.Append(previous[i]);
      failed = false;  // only failed rows are run again
    } else {
      WriteResultLine(*work, i, w);
      w.Reset(buffer);
    }
    buffer.Put('\n');
    if (failed) {
      ++out.failed;
      out.failed_rows.push_back(static_cast<int64_t>(i));
      if (out.errors.size() < kJobFirstErrors) {
        out.errors.push_back(
            {work->chunk.first_row + static_cast<int64_t>(i), r.status, r.message});
      }
    } else {
      ++out.completed;
    }
  }
  out.lines = buffer.Release();
  work->done(std::move(out));
}

// Rows of the prediction: each output's row `r` in the model's shapes.
StatusOr<std::shared_ptr<const Predictions>> RowPredictions(const InferResponse& response,
                                                            size_t rows) {
  std::vector<http::OutputRows> outputs;
  for (const Tensor& t : response.outputs) {
    INFERD_ASSIGN_OR_RETURN(http::OutputRows o, http::OutputRows::Make(t));
    outputs.push_back(std::move(o));
  }
  INFERD_ASSIGN_OR_RETURN(int64_t common, http::CommonRows(outputs));
  if (common != static_cast<int64_t>(rows)) {
    return Internal("the model answered " + std::to_string(common) + " rows for " +
                    std::to_string(rows));
  }
  auto out = std::make_shared<Predictions>();
  out->ends.reserve(rows);
  http::JsonBuffer buffer(rows * 64);
  http::JsonWriter w(buffer);
  for (size_t r = 0; r < rows; ++r) {
    w.StartObject();
    for (size_t o = 0; o < outputs.size(); ++o) {
      http::WriteJsonString(w, response.outputs[o].name());
      outputs[o].WriteRow(static_cast<int64_t>(r), w, false);
    }
    w.EndObject();
    w.Reset(buffer);
    out->ends.push_back(buffer.GetSize());
  }
  out->text = buffer.Release();
  return std::shared_ptr<const Predictions>(std::move(out));
}

void Submit(ServerCore* core, const std::shared_ptr<ChunkWork>& work, std::vector<size_t> rows,
            std::vector<Tensor> inputs);
void RunAlone(ServerCore* core, const std::shared_ptr<ChunkWork>& work,
              std::shared_ptr<std::vector<size_t>> rows, size_t next);

// The answer to a request for `rows` (chunk positions).
void Answered(ServerCore* core, const std::shared_ptr<ChunkWork>& work, std::vector<size_t> rows,
              StatusOr<InferResponse> answer) {
  bool finished = false;
  {
    std::lock_guard lock(work->mu);
    if (answer.ok()) {
      auto predictions = RowPredictions(*answer, rows.size());
      for (size_t k = 0; k < rows.size(); ++k) {
        RowResult& r = work->results[rows[k]];
        if (predictions.ok()) {
          r.done = true;
          r.predictions = *predictions;
          r.prediction = k;
        } else {
          Fail(r, 500, predictions.status().message());
        }
      }
    } else if (Unrecorded(answer.status())) {
      work->unavailable = answer.status();
    } else if (rows.size() > 1) {
      // Which row is at fault: each runs alone (RunAlone's chain counts as one).
      ++work->pending;
    } else {
      Fail(work->results[rows[0]], static_cast<int>(http::HttpStatusFor(answer.status())),
           answer.status().message());
    }
    finished = --work->pending == 0;
  }
  if (!answer.ok() && !Unrecorded(answer.status()) && rows.size() > 1) {
    // One after another: queued together, the rows would be batched together
    // again and fail together.
    return RunAlone(core, work, std::make_shared<std::vector<size_t>>(std::move(rows)), 0);
  }
  if (finished) Finish(work);
}

// A request for some of the chunk's rows: background work the job may cancel;
// `alone`: in a batch of its own.
InferRequest JobRequest(const ChunkWork& work, std::vector<Tensor> inputs, bool alone) {
  InferRequest request;
  request.model_name = work.spec.model;
  request.model_version = work.spec.version;
  request.inputs = std::move(inputs);
  request.background = true;
  request.budget = work.threads;  // inference shares the jobs' slots
  request.run_alone = alone;
  request.protocol = "job";
  request.cancelled = work.cancelled;
  return request;
}

// Work on an answer happens on the jobs' threads: the model's instance
// thread that answers goes back to online requests at once.
void OnJobThread(const ChunkWork& work, std::function<void()> task) {
  if (work.threads == nullptr || !work.threads->Post(task)) task();
}

void Submit(ServerCore* core, const std::shared_ptr<ChunkWork>& work, std::vector<size_t> rows,
            std::vector<Tensor> inputs) {
  core->Infer(JobRequest(*work, std::move(inputs), /*alone=*/false),
              [core, work, rows = std::move(rows)](StatusOr<InferResponse> answer) mutable {
                auto shared = std::make_shared<StatusOr<InferResponse>>(std::move(answer));
                OnJobThread(*work, [core, work, rows = std::move(rows), shared]() mutable {
                  Answered(core, work, std::move(rows), std::move(*shared));
                });
              });
}

// Runs rows[next], then the ones after it, each alone, as one pending unit.
void RunAlone(ServerCore* core, const std::shared_ptr<ChunkWork>& work,
              std::shared_ptr<std::vector<size_t>> rows, size_t next) {
  if (next == rows->size()) {
    bool finished = false;
    {
      std::lock_guard lock(work->mu);
      finished = --work->pending == 0;
    }
    if (finished) Finish(work);
    return;
  }
  // Rows that do not convert fail here, in a loop (not a recursion: a chunk
  // may hold a thousand of them).
  StatusOr<std::vector<Tensor>> inputs = Internal("no row");
  size_t position = 0;
  for (; next < rows->size(); ++next) {
    position = (*rows)[next];
    ParsedRows parsed;
    std::vector<std::string> errors;
    const std::vector<std::string_view> one{work->texts[position]};
    Status s = parsed.Parse(work->spec, work->chunk.header, one, errors);
    auto model = core->GetModel(work->spec.model, work->spec.version);
    inputs = !s.ok() ? StatusOr<std::vector<Tensor>>(s)
             : !model.ok()
                 ? StatusOr<std::vector<Tensor>>(model.status())
                 : http::TableToTensors((*model)->signature,
                                        SubsetTable(*parsed.table(), {0}, parsed.key_column()));
    std::lock_guard lock(work->mu);
    if (s.ok()) work->keys[position] = parsed.Key(0);
    if (inputs.ok()) break;
    const int status =
        errors[0].empty() ? static_cast<int>(http::HttpStatusFor(inputs.status())) : 400;
    Fail(work->results[position], status,
         errors[0].empty() ? inputs.status().message() : errors[0]);
  }
  if (next == rows->size()) return RunAlone(core, work, std::move(rows), next);
  core->Infer(JobRequest(*work, std::move(inputs).value(), /*alone=*/true),
              [core, work, rows, next, position](StatusOr<InferResponse> answered) mutable {
                auto shared = std::make_shared<StatusOr<InferResponse>>(std::move(answered));
                OnJobThread(*work, [core, work, rows, next, position, shared]() mutable {
                  StatusOr<InferResponse>& answer = *shared;
                  {
                    std::lock_guard lock(work->mu);
                    if (answer.ok()) {
                      auto predictions = RowPredictions(*answer, 1);
                      if (predictions.ok()) {
                        work->results[position].done = true;
                        work->results[position].predictions = *predictions;
                        work->results[position].prediction = 0;
                      } else {
                        Fail(work->results[position], 500, predictions.status().message());
                      }
                    } else if (Unrecorded(answer.status())) {
                      work->unavailable = answer.status();
                    } else {
                      Fail(work->results[position],
                           static_cast<int>(http::HttpStatusFor(answer.status())),
                           answer.status().message());
                    }
                  }
                  RunAlone(core, work, std::move(rows), next + 1);
                });
              });
}

// Submits one request per group (`rows[g]`, chunk positions, with its
// `inputs[g]`), then lets go of the +1 in work->pending held until every
// request is out: the last of the answers, or this, finishes the chunk.
void SubmitAll(ServerCore* core, const std::shared_ptr<ChunkWork>& work,
               std::vector<std::vector<size_t>> rows, std::vector<std::vector<Tensor>> inputs) {
  for (size_t g = 0; g < inputs.size(); ++g) {
    Submit(core, work, std::move(rows[g]), std::move(inputs[g]));
  }
  bool finished = false;
  {
    std::lock_guard lock(work->mu);
    finished = --work->pending == 0;
  }
  if (finished) Finish(work);
}

// The fast path (numeric_rows.h): every group of rows read straight into its
// request's tensor, or none, and the general path runs them all.
bool RunNumeric(ServerCore* core, const std::shared_ptr<ChunkWork>& work, const LoadedModel& model,
                const std::vector<std::string_view>& texts, const std::vector<size_t>& positions) {
  const auto step =
      static_cast<size_t>(RowsPerRequest(model, std::max<int64_t>(1, work->chunk.rows)));
  std::vector<std::vector<Tensor>> inputs;
  for (size_t start = 0; start < texts.size(); start += step) {
    const size_t n = std::min(step, texts.size() - start);
    auto tensor = NumericJsonlRows(model.signature, std::span(texts).subspan(start, n));
    if (!tensor) return false;
    inputs.emplace_back().push_back(std::move(*tensor));
  }
  if (inputs.empty()) return false;
  std::vector<std::vector<size_t>> rows;
  for (size_t start = 0; start < positions.size(); start += step) {
    rows.emplace_back(
        positions.begin() + static_cast<long>(start),
        positions.begin() + static_cast<long>(std::min(positions.size(), start + step)));
  }
  {
    std::lock_guard lock(work->mu);
    work->pending = static_cast<int>(inputs.size()) + 1;  // +1 until every request is out
  }
  SubmitAll(core, work, std::move(rows), std::move(inputs));
  return true;
}

}  // namespace

int64_t RowsPerRequest(const LoadedModel& model, int64_t cap) {
  const int64_t max_batch = model.config.max_batch_size();
  if (max_batch > 0) return std::max<int64_t>(1, std::min(max_batch, cap));
  for (const TensorSpec& input : model.signature.inputs) {
    if (input.shape.empty() || input.shape[0] != -1) return 1;
  }
  return cap;
}

void ChunkRunner::Run(const JobSpec& spec, JobChunk chunk,
                      std::shared_ptr<std::atomic<bool>> cancelled, Done done) const {
  auto work = std::make_shared<ChunkWork>();
  work->spec = spec;
  work->chunk = std::move(chunk);
  work->done = std::move(done);
  work->threads = threads_;
  work->cancelled = std::move(cancelled);
  SplitRows(spec.input_format, work->chunk.text, true, work->texts);
  const size_t n = work->texts.size();
  work->results.resize(n);
  work->keys.resize(n);
  work->to_run.assign(n, work->chunk.only_rows.empty());
  for (int64_t r : work->chunk.only_rows) {
    if (r >= 0 && static_cast<size_t>(r) < n) work->to_run[static_cast<size_t>(r)] = true;
  }
  auto model = core_->GetModel(spec.model, spec.version);
  if (!model.ok()) {
    // Not the rows' fault: a model that is gone fails the job, one that is
    // not ready now (loading, swapped) runs the chunk again later.
    return work->done(model.status().code() == StatusCode::kNotFound
                          ? model.status()
                          : Unavailable(model.status().message()));
  }
  std::vector<std::string_view> texts;
  std::vector<size_t> positions;  // chunk position of each text
  for (size_t i = 0; i < n; ++i) {
    if (work->to_run[i]) {
      texts.push_back(work->texts[i]);
      positions.push_back(i);
    }
  }
  if (spec.input_format == JobFormat::kJsonl &&
      RunNumeric(core_, work, **model, texts, positions)) {
    return;
  }
  ParsedRows parsed;
  std::vector<std::string> errors;
  Status parsed_ok = parsed.Parse(spec, work->chunk.header, texts, errors);
  std::vector<std::vector<size_t>> groups;  // table rows per request
  std::vector<std::vector<Tensor>> inputs;
  {
    std::lock_guard lock(work->mu);
    for (size_t t = 0; t < texts.size(); ++t) {
      if (!errors[t].empty()) Fail(work->results[positions[t]], 400, errors[t]);
    }
    const int64_t per_request = RowsPerRequest(**model, std::max<int64_t>(1, work->chunk.rows));
    const size_t table_rows = parsed_ok.ok() ? parsed.table()->num_rows() : 0;
    for (size_t r = 0; r < table_rows; ++r) {
      work->keys[positions[parsed.positions()[r]]] = parsed.Key(r);
    }
    // Rows that parsed alone but not together (a mix of shapes) run alone.
    const size_t step = parsed_ok.ok() ? static_cast<size_t>(per_request) : 1;
    std::vector<size_t> all;
    for (size_t r = 0; r < table_rows; ++r) all.push_back(r);
    for (size_t start = 0; start < all.size(); start += step) {
      std::vector<size_t> group(
          all.begin() + static_cast<long>(start),
          all.begin() + static_cast<long>(std::min(all.size(), start + step)));
      auto tensors = http::TableToTensors((*model)->signature,
                                          SubsetTable(*parsed.table(), group, parsed.key_column()));
      if (tensors.ok()) {
        groups.push_back(std::move(group));
        inputs.push_back(std::move(tensors).value());
        continue;
      }
      // Which rows do not convert: each alone.
      for (size_t r : group) {
        auto one = http::TableToTensors((*model)->signature,
                                        SubsetTable(*parsed.table(), {r}, parsed.key_column()));
        if (one.ok()) {
          groups.push_back({r});
          inputs.push_back(std::move(one).value());
        } else {
          Fail(work->results[positions[parsed.positions()[r]]],
               static_cast<int>(http::HttpStatusFor(one.status())), one.status().message());
        }
      }
    }
    // +1 until every request is out, +1 for the rows that run alone
    work->pending = static_cast<int>(groups.size()) + (parsed_ok.ok() ? 1 : 2);
  }
  if (!parsed_ok.ok()) {
    // The rows parse alone but not as one table (objects with other keys,
    // rows of other kinds): each runs alone, one after another.
    auto alone = std::make_shared<std::vector<size_t>>();
    for (size_t t = 0; t < texts.size(); ++t) {
      if (errors[t].empty()) alone->push_back(positions[t]);
    }
    RunAlone(core_, work, std::move(alone), 0);
  }
  std::vector<std::vector<size_t>> rows(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t r : groups[g]) rows[g].push_back(positions[parsed.positions()[r]]);
  }
  SubmitAll(core_, work, std::move(rows), std::move(inputs));
}

}  // namespace inferd::jobs
