#include "storage/redis_job_store.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>

#include "observability/log.h"
#include "storage/job_store_codec.h"

namespace inferd {
namespace {

constexpr char kGroup[] = "inferd";

// KEYS: jobs, job, stream, unfinished, reader. ARGV: id, created_ms,
// consumer, lease (ms), then the record's fields and values. The job is
// marked as made with a reader's lease (older replicas made none), and this
// replica holds it. 0 when the job exists.
constexpr char kCreateScript[] = R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('DEL', KEYS[3])
redis.call('XGROUP', 'CREATE', KEYS[3], 'inferd', '0', 'MKSTREAM')
redis.call('HSET', KEYS[2], 'leased', '1')
redis.call('SET', KEYS[5], ARGV[3], 'PX', ARGV[4])
return 1
)lua";

// KEYS: job, reader. ARGV: consumer, lease (ms). The reader's lease, taken
// or renewed only while the job validates: 0 when it does not.
constexpr char kHoldReadingScript[] = R"lua(
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return -1 end
if cur ~= 'validating' then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
)lua";

// KEYS: job, chunk, chunks, pending, failed, stream. ARGV: index, first_row,
// rows, header, text. A chunk added again replaces the first, with a new
// message (the old one is stale). -1 when the job does not exist.
constexpr char kAddChunkScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local old = redis.call('HGET', KEYS[2], 'msg')
if old then redis.call('XACK', KEYS[6], 'inferd', old) end
redis.call('DEL', KEYS[2])
local msg = redis.call('XADD', KEYS[6], '*', 'chunk', ARGV[1])
redis.call('HSET', KEYS[2], 'first_row', ARGV[2], 'rows', ARGV[3], 'header', ARGV[4],
           'text', ARGV[5], 'done', '0', 'retry', '0', 'completed', '0', 'failed', '0',
           'failed_rows', '', 'results', '', 'msg', msg)
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
return 1
)lua";

// KEYS: job, reader. 1 when the job was created with a reader's lease (by
// this version or later) and nobody holds it now.
constexpr char kReaderGoneScript[] = R"lua(
if redis.call('HGET', KEYS[1], 'leased') ~= '1' then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return 1
)lua";

// KEYS: job. ARGV: total, chunks, chunk_rows.
constexpr char kValidatedScript[] = R"lua(
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return -1 end
if cur ~= 'validating' then return 0 end
redis.call('HSET', KEYS[1], 'total', ARGV[1], 'chunks', ARGV[2], 'chunk_rows', ARGV[3],
           'state', 'queued')
return 1
)lua";

// KEYS: job. ARGV: state, error, started_ms, finished_ms, the state it moves
// from (see JobStore::UpdateJob): 0 when the job is no longer in that state.
constexpr char kUpdateScript[] = R"lua(
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return -1 end
if cur ~= ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'error', ARGV[2], 'started_ms', ARGV[3],
           'finished_ms', ARGV[4])
if ARGV[1] == 'completed' or ARGV[1] == 'failed' or ARGV[1] == 'cancelled' then
  redis.call('ZREM', KEYS[2], ARGV[6])
else
  redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'created_ms') or 0, ARGV[6])
end
return 1
)lua";

// KEYS: job, chunk, pending, failed, errors, stream. ARGV: lines, completed,
// failed, failed_rows, index, first errors (row, member)... 0 when the
// chunk is done already or gone, or its job is stopping (its results are
// dropped).
const std::string& CompleteScript() {
  static const std::string script = R"lua(
local c = redis.call('HMGET', KEYS[2], 'done', 'retry', 'completed', 'msg')
if not c[1] or c[1] == '1' then return 0 end
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'cancelling' or state == 'cancelled' or state == 'failed' then
  return 0
end
local counted = 0
if c[2] == '1' then counted = tonumber(c[3]) end
redis.call('HSET', KEYS[2], 'done', '1', 'retry', '0', 'results', ARGV[1], 'completed', ARGV[2],
           'failed', ARGV[3], 'failed_rows', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'completed', tonumber(ARGV[2]) - counted)
redis.call('HINCRBY', KEYS[1], 'failed', tonumber(ARGV[3]))
redis.call('SREM', KEYS[3], ARGV[5])
if tonumber(ARGV[3]) > 0 then
  redis.call('SADD', KEYS[4], ARGV[5])
else
  redis.call('SREM', KEYS[4], ARGV[5])
end
for i = 6, #ARGV, 2 do
  if #redis.call('ZRANGEBYSCORE', KEYS[5], ARGV[i], ARGV[i], 'LIMIT', 0, 1) == 0 then
    redis.call('ZADD', KEYS[5], ARGV[i], ARGV[i + 1])
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[5], )lua" +
                                    std::to_string(kJobFirstErrors) +
                                    R"lua(, -1)
if c[4] then redis.call('XACK', KEYS[6], 'inferd', c[4]) end
return 1
)lua";
  return script;
}

// KEYS: job, failed, pending, stream, errors. ARGV: the chunk keys' prefix.
// Returns the rows requeued, -1 when the job does not exist.
constexpr char kRequeueScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local idxs = redis.call('SMEMBERS', KEYS[2])
table.sort(idxs, function(a, b) return tonumber(a) < tonumber(b) end)
local rows = 0
for _, idx in ipairs(idxs) do
  local key = ARGV[1] .. idx
  local c = redis.call('HMGET', key, 'done', 'failed')
  if c[1] == '1' and tonumber(c[2]) > 0 then
    rows = rows + tonumber(c[2])
    local msg = redis.call('XADD', KEYS[4], '*', 'chunk', idx)
    redis.call('HSET', key, 'done', '0', 'retry', '1', 'msg', msg)
    redis.call('SADD', KEYS[3], idx)
  end
end
redis.call('DEL', KEYS[2], KEYS[5])
redis.call('HINCRBY', KEYS[1], 'failed', -rows)
return rows
)lua";

// KEYS: stream. ARGV: the chunk keys' prefix, then (message, index) pairs.
// Each claim is acknowledged, and its chunk, when not done, gets a new
// message that any replica may read at once.
constexpr char kReleaseScript[] = R"lua(
for i = 2, #ARGV, 2 do
  local id, idx = ARGV[i], ARGV[i + 1]
  redis.call('XACK', KEYS[1], 'inferd', id)
  local key = ARGV[1] .. idx
  local cur = redis.call('HMGET', key, 'msg', 'done')
  if cur[1] == id and cur[2] == '0' then
    redis.call('HSET', key, 'msg', redis.call('XADD', KEYS[1], '*', 'chunk', idx))
  end
end
return 1
)lua";

// KEYS: stream. ARGV: consumer, message ids. Renews the messages this
// consumer still holds (resets their idle time); returns those it lost.
constexpr char kRenewScript[] = R"lua(
local lost = {}
for i = 2, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], 'inferd', ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[1] then
    redis.call('XCLAIM', KEYS[1], 'inferd', ARGV[1], 0, ARGV[i], 'JUSTID')
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
)lua";

std::string ConsumerName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  unsigned char raw[4] = {};
  RAND_bytes(raw, sizeof raw);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name =
      std::string(host[0] != '\0' ? host : "inferd") + "-" + std::to_string(getpid()) + "-";
  for (unsigned char c : raw) {
    name += kHex[c >> 4];
    name += kHex[c & 15];
  }
  return name;
}

int64_t ToInt(const std::string& text) {
  return ParseStoredInt(text).value_or(0);
}

// HGETALL's reply as a map.
std::map<std::string, std::string> Fields(const RedisReply& reply) {
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    fields[reply.elements[i].text] = reply.elements[i + 1].text;
  }
  return fields;
}

StatusOr<JobRecord> ReadJob(std::string id, const RedisReply& hash, const RedisReply& errors) {
  std::map<std::string, std::string> f = Fields(hash);
  JobRecord job;
  job.id = std::move(id);
  const auto bad = [&](std::string_view what) {
    return Internal("stored job '" + job.id + "' has a bad " + std::string(what));
  };
  job.spec.model = f["model"];
  job.spec.version = f["version"];
  const auto input_format = ParseJobFormat(f["input_format"]);
  const auto output_format = ParseJobFormat(f["output_format"]);
  if (!input_format || !output_format) return bad("format");
  job.spec.input_format = *input_format;
  job.spec.output_format = *output_format;
  job.spec.key_field = f["key_field"];
  job.spec.join_input = f["join_input"] == "1";
  job.spec.owner = f["owner"];
  job.spec.origin = f["origin"];
  const auto state = ParseJobState(f["state"]);
  if (!state) return bad("state");
  job.state = *state;
  job.total = ToInt(f["total"]);
  job.completed = ToInt(f["completed"]);
  job.failed = ToInt(f["failed"]);
  job.chunk_rows = ToInt(f["chunk_rows"]);
  job.chunks = ToInt(f["chunks"]);
  job.created_ms = ToInt(f["created_ms"]);
  job.started_ms = ToInt(f["started_ms"]);
  job.finished_ms = ToInt(f["finished_ms"]);
  job.error = f["error"];
  std::string lines;
  for (const RedisReply& e : errors.elements) lines += e.text;
  auto decoded = DecodeErrors(lines);
  if (!decoded) return bad("list of first errors");
  job.first_errors = std::move(*decoded);
  return job;
}

// XREADGROUP's or XAUTOCLAIM's messages: (id, chunk index).
void AddMessages(const RedisReply& messages, std::vector<std::pair<std::string, int64_t>>& out) {
  for (const RedisReply& m : messages.elements) {
    if (m.elements.size() < 2) continue;
    const auto fields = Fields(m.elements[1]);
    const auto chunk = fields.find("chunk");
    if (chunk == fields.end()) continue;
    out.emplace_back(m.elements[0].text, ToInt(chunk->second));
  }
}

Status ScriptResult(const StatusOr<RedisReply>& reply, std::string_view id) {
  if (!reply.ok()) return reply.status();
  if (reply->type == RedisReply::Type::kInteger && reply->integer == -1) {
    return NotFound("no job '" + std::string(id) + "'");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<RedisJobStore>> RedisJobStore::Open(RedisJobStoreOptions options) {
  std::unique_ptr<RedisJobStore> store(new RedisJobStore(std::move(options), ConsumerName()));
  INFERD_ASSIGN_OR_RETURN(RedisReply info, store->redis_.Command({"INFO", "server"}));
  const size_t at = info.text.find("redis_version:");
  if (at != std::string::npos) {
    const std::string version = info.text.substr(at + 14, info.text.find('\r', at) - at - 14);
    const int major = static_cast<int>(ToInt(version.substr(0, version.find('.'))));
    const size_t dot = version.find('.');
    const int minor = dot == std::string::npos
                          ? 0
                          : static_cast<int>(ToInt(
                                version.substr(dot + 1, version.find('.', dot + 1) - dot - 1)));
    if (major < 6 || (major == 6 && minor < 2)) {
      return Unsupported("Redis " + version +
                         " is too old for batch jobs: they need 6.2 or later (XAUTOCLAIM)");
    }
  }
  return store;
}

RedisJobStore::RedisJobStore(RedisJobStoreOptions options, std::string consumer)
    : options_(std::move(options)),
      consumer_(std::move(consumer)),
      redis_(options_.endpoint, options_.timeout) {
  renewer_ = std::thread([this] { RenewLoop(); });
}

RedisJobStore::~RedisJobStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  renewer_.join();
}

std::string RedisJobStore::JobKey(std::string_view id) const {
  return options_.prefix + "job:" + std::string(id);
}

std::string RedisJobStore::ReaderKey(std::string_view id) const {
  return JobKey(id) + ":reader";
}

std::string RedisJobStore::ChunkKey(std::string_view id, int64_t index) const {
  return JobKey(id) + ":c:" + std::to_string(index);
}

Status RedisJobStore::CreateJob(const JobRecord& job) {
  const std::string key = JobKey(job.id);
  std::vector<std::string> args{"EVAL",
                                kCreateScript,
                                "5",
                                options_.prefix + "jobs",
                                key,
                                key + ":stream",
                                UnfinishedKey(),
                                ReaderKey(job.id),
                                job.id,
                                std::to_string(job.created_ms),
                                consumer_,
                                std::to_string(options_.lease.count())};
  const auto field = [&args](std::string name, std::string value) {
    args.push_back(std::move(name));
    args.push_back(std::move(value));
  };
  field("model", job.spec.model);
  field("version", job.spec.version);
  field("input_format", std::string(JobFormatName(job.spec.input_format)));
  field("output_format", std::string(JobFormatName(job.spec.output_format)));
  field("key_field", job.spec.key_field);
  field("join_input", job.spec.join_input ? "1" : "0");
  field("owner", job.spec.owner);
  field("origin", job.spec.origin);
  field("state", std::string(JobStateName(job.state)));
  field("total", std::to_string(job.total));
  field("completed", std::to_string(job.completed));
  field("failed", std::to_string(job.failed));
  field("chunk_rows", std::to_string(job.chunk_rows));
  field("chunks", std::to_string(job.chunks));
  field("created_ms", std::to_string(job.created_ms));
  field("started_ms", std::to_string(job.started_ms));
  field("finished_ms", std::to_string(job.finished_ms));
  field("error", job.error);
  // The errors are written only when the job is new: the script says.
  INFERD_ASSIGN_OR_RETURN(RedisReply created, redis_.Command(args));
  if (created.integer == 0) return AlreadyExists("job '" + job.id + "' already exists");
  {
    std::lock_guard lock(mu_);
    reading_.insert(job.id);
  }
  std::vector<std::vector<std::string>> errors;
  for (const RowError& e : job.first_errors) {
    errors.push_back({"ZADD", key + ":errors", std::to_string(e.row), EncodeErrors({e})});
  }
  if (errors.empty()) return Status::Ok();
  INFERD_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, redis_.Pipeline(errors));
  for (const RedisReply& r : replies) {
    if (r.error()) return Internal("Redis ZADD: " + r.text);
  }
  return Status::Ok();
}

Status RedisJobStore::AddChunks(const std::vector<JobChunk>& chunks) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(chunks.size());
  for (const JobChunk& chunk : chunks) {
    const std::string job = JobKey(chunk.job_id);
    commands.push_back({"EVAL", kAddChunkScript, "6", job, ChunkKey(chunk.job_id, chunk.index),
                        job + ":chunks", job + ":pending", job + ":failed", job + ":stream",
                        std::to_string(chunk.index), std::to_string(chunk.first_row),
                        std::to_string(chunk.rows), chunk.header, chunk.text});
  }
  if (commands.empty()) return Status::Ok();
  INFERD_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, redis_.Pipeline(commands));
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].error()) return Internal("Redis: add a job's chunk: " + replies[i].text);
    if (replies[i].integer == -1) return NotFound("no job '" + chunks[i].job_id + "'");
  }
  return Status::Ok();
}

Status RedisJobStore::MarkValidated(std::string_view id, int64_t total, int64_t chunks,
                                    int64_t chunk_rows) {
  auto reply = redis_.Command({"EVAL", kValidatedScript, "1", JobKey(id), std::to_string(total),
                               std::to_string(chunks), std::to_string(chunk_rows)});
  INFERD_RETURN_IF_ERROR(ScriptResult(reply, id));
  if (reply->integer == 0) return StateNotMoved(id, JobState::kValidating, JobState::kQueued);
  return Status::Ok();
}

StatusOr<std::optional<JobRecord>> RedisJobStore::GetJob(std::string_view id) {
  const std::string key = JobKey(id);
  INFERD_ASSIGN_OR_RETURN(
      std::vector<RedisReply> replies,
      redis_.Pipeline({{"HGETALL", key}, {"ZRANGE", key + ":errors", "0", "-1"}}));
  for (const RedisReply& r : replies) {
    if (r.error()) return Internal("Redis: read a job: " + r.text);
  }
  if (replies[0].elements.empty()) return std::optional<JobRecord>();
  INFERD_ASSIGN_OR_RETURN(JobRecord job, ReadJob(std::string(id), replies[0], replies[1]));
  return std::optional<JobRecord>(std::move(job));
}

StatusOr<std::vector<JobRecord>> RedisJobStore::ListJobs() {
  return ReadJobs(options_.prefix + "jobs");
}

StatusOr<std::vector<JobRecord>> RedisJobStore::ListUnfinishedJobs() {
  // The create, update and delete scripts keep the set: a job leaves it in
  // the script that makes it final.
  return ReadJobs(UnfinishedKey());
}

std::string RedisJobStore::UnfinishedKey() const {
  return options_.prefix + "unfinished";
}

StatusOr<std::vector<JobRecord>> RedisJobStore::ReadJobs(const std::string& index) {
  INFERD_ASSIGN_OR_RETURN(RedisReply ids, redis_.Command({"ZRANGE", index, "0", "-1"}));
  std::vector<std::vector<std::string>> commands;
  for (const RedisReply& id : ids.elements) {
    const std::string key = JobKey(id.text);
    commands.push_back({"HGETALL", key});
    commands.push_back({"ZRANGE", key + ":errors", "0", "-1"});
  }
  std::vector<JobRecord> jobs;
  if (commands.empty()) return jobs;
  INFERD_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, redis_.Pipeline(commands));
  for (size_t i = 0; i < ids.elements.size(); ++i) {
    const RedisReply& hash = replies[2 * i];
    if (hash.error() || replies[2 * i + 1].error()) {
      return Internal("Redis: read the jobs: " +
                      (hash.error() ? hash.text : replies[2 * i + 1].text));
    }
    if (hash.elements.empty()) continue;  // deleted meanwhile
    INFERD_ASSIGN_OR_RETURN(JobRecord job, ReadJob(ids.elements[i].text, hash, replies[2 * i + 1]));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

Status RedisJobStore::UpdateJob(const JobRecord& job, JobState from) {
  if (!JobStateMayMove(from, job.state)) return StateNotMoved(job.id, from, job.state);
  auto reply = redis_.Command({"EVAL", kUpdateScript, "2", JobKey(job.id), UnfinishedKey(),
                               std::string(JobStateName(job.state)), job.error,
                               std::to_string(job.started_ms), std::to_string(job.finished_ms),
                               std::string(JobStateName(from)), job.id});
  INFERD_RETURN_IF_ERROR(ScriptResult(reply, job.id));
  if (reply->integer == 0) return StateNotMoved(job.id, from, job.state);
  return Status::Ok();
}

StatusOr<std::vector<JobChunk>> RedisJobStore::ClaimChunks(std::string_view id, size_t max,
                                                           std::chrono::milliseconds lease) {
  std::vector<JobChunk> out;
  const std::string stream = JobKey(id) + ":stream";
  // First the chunks whose claim ran out (their replica went silent), then
  // chunks no one has read.
  std::string cursor = "0-0";
  bool reclaiming = true;
  while (out.size() < max) {
    const std::string count = std::to_string(max - out.size());
    std::vector<std::pair<std::string, int64_t>> messages;
    auto reply = reclaiming ? redis_.Command({"XAUTOCLAIM", stream, kGroup, consumer_,
                                              std::to_string(std::max<int64_t>(lease.count(), 1)),
                                              cursor, "COUNT", count})
                            : redis_.Command({"XREADGROUP", "GROUP", kGroup, consumer_, "COUNT",
                                              count, "STREAMS", stream, ">"});
    if (!reply.ok()) {
      // No group: the job does not exist (or was deleted).
      if (reply.status().message().find("NOGROUP") != std::string::npos) return out;
      return reply.status();
    }
    bool more = false;
    if (reclaiming) {
      if (reply->elements.size() >= 2) AddMessages(reply->elements[1], messages);
      cursor = reply->elements.empty() ? "0-0" : reply->elements[0].text;
      if (cursor == "0-0") reclaiming = false;
      more = true;
    } else if (!reply->nil() && !reply->elements.empty() &&
               reply->elements[0].elements.size() >= 2) {
      AddMessages(reply->elements[0].elements[1], messages);
      more = !messages.empty();
    }
    if (!messages.empty()) {
      INFERD_ASSIGN_OR_RETURN(std::vector<JobChunk> chunks, ReadClaimed(id, messages));
      for (JobChunk& c : chunks) out.push_back(std::move(c));
    }
    if (!more) break;
  }
  std::sort(out.begin(), out.end(),
            [](const JobChunk& a, const JobChunk& b) { return a.index < b.index; });
  return out;
}

StatusOr<std::vector<JobChunk>> RedisJobStore::ReadClaimed(
    std::string_view id, const std::vector<std::pair<std::string, int64_t>>& messages) {
  std::vector<std::vector<std::string>> reads;
  for (const auto& [message, index] : messages) {
    reads.push_back({"HMGET", ChunkKey(id, index), "msg", "done", "retry", "first_row", "rows",
                     "header", "text", "failed_rows", "results"});
  }
  INFERD_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, redis_.Pipeline(reads));
  std::vector<JobChunk> out;
  std::vector<std::string> stale;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& [message, index] = messages[i];
    const RedisReply& r = replies[i];
    if (r.error()) return Internal("Redis: read a job's chunk: " + r.text);
    if (r.elements.size() < 9 || r.elements[0].text != message || r.elements[1].text != "0") {
      stale.push_back(message);
      continue;
    }
    JobChunk& chunk = out.emplace_back();
    chunk.job_id = std::string(id);
    chunk.index = index;
    chunk.first_row = ToInt(r.elements[3].text);
    chunk.rows = ToInt(r.elements[4].text);
    chunk.header = r.elements[5].text;
    chunk.text = r.elements[6].text;
    if (r.elements[2].text == "1") {
      auto only_rows = DecodeRows(r.elements[7].text);
      if (!only_rows) {
        return Internal("stored chunk " + std::to_string(index) + " of job '" + chunk.job_id +
                        "' has a bad list of failed rows");
      }
      chunk.only_rows = std::move(*only_rows);
      chunk.previous_results = r.elements[8].text;
    }
    auto claims = claims_.find(id);
    if (claims == claims_.end()) claims = claims_.emplace(std::string(id), Claims()).first;
    claims->second[message] = index;
  }
  if (!stale.empty()) {
    std::vector<std::string> ack{"XACK", JobKey(id) + ":stream", kGroup};
    ack.insert(ack.end(), stale.begin(), stale.end());
    if (auto acked = redis_.Command(ack); !acked.ok()) {
      LogWarn("cannot acknowledge stale job messages",
              {{"job", std::string(id)}, {"reason", acked.status().message()}});
    }
  }
  return out;
}

void RedisJobStore::ReleaseClaims(std::string_view id) {
  Claims claims;
  {
    std::lock_guard lock(mu_);
    const auto found = claims_.find(id);
    if (found == claims_.end()) return;
    claims = std::move(found->second);
    claims_.erase(found);
  }
  std::vector<std::pair<int64_t, std::string>> by_index;
  for (const auto& [message, index] : claims) by_index.emplace_back(index, message);
  std::sort(by_index.begin(), by_index.end());
  std::vector<std::string> args{"EVAL", kReleaseScript, "1", JobKey(id) + ":stream",
                                JobKey(id) + ":c:"};
  for (const auto& [index, message] : by_index) {
    args.push_back(message);
    args.push_back(std::to_string(index));
  }
  // When Redis is away, the claims run out after the lease instead.
  if (auto released = redis_.Command(args); !released.ok()) {
    LogWarn("cannot release job claims; they run out after the lease",
            {{"job", std::string(id)}, {"reason", released.status().message()}});
  }
}

Status RedisJobStore::CompleteChunks(const std::vector<JobChunkResult>& results) {
  if (results.empty()) return Status::Ok();
  std::vector<std::vector<std::string>> commands;
  for (const JobChunkResult& r : results) {
    const std::string job = JobKey(r.job_id);
    const std::string index = std::to_string(r.index);
    std::vector<std::string> args{"EVAL",
                                  CompleteScript(),
                                  "6",
                                  job,
                                  ChunkKey(r.job_id, r.index),
                                  job + ":pending",
                                  job + ":failed",
                                  job + ":errors",
                                  job + ":stream",
                                  r.lines,
                                  std::to_string(r.completed),
                                  std::to_string(r.failed),
                                  EncodeRows(r.failed_rows),
                                  index};
    for (const RowError& e : MergeErrors({}, r.errors)) {
      args.push_back(std::to_string(e.row));
      args.push_back(EncodeErrors({e}));
    }
    commands.push_back(std::move(args));
  }
  INFERD_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, redis_.Pipeline(commands));
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].error()) return Internal("Redis: record a job's chunk: " + replies[i].text);
    // Recorded (or recorded before): this replica's claim on it is over.
    const auto claims = claims_.find(results[i].job_id);
    if (claims == claims_.end()) continue;
    for (auto c = claims->second.begin(); c != claims->second.end();) {
      c = c->second == results[i].index ? claims->second.erase(c) : std::next(c);
    }
  }
  return Status::Ok();
}

StatusOr<int64_t> RedisJobStore::PendingChunks(std::string_view id) {
  INFERD_ASSIGN_OR_RETURN(RedisReply count, redis_.Command({"SCARD", JobKey(id) + ":pending"}));
  return count.integer;
}

StatusOr<int64_t> RedisJobStore::RequeueFailedRows(std::string_view id) {
  const std::string job = JobKey(id);
  INFERD_ASSIGN_OR_RETURN(
      RedisReply rows,
      redis_.Command({"EVAL", kRequeueScript, "5", job, job + ":failed", job + ":pending",
                      job + ":stream", job + ":errors", job + ":c:"}));
  if (rows.integer == -1) return NotFound("no job '" + std::string(id) + "'");
  return rows.integer;
}

Status RedisJobStore::ReadResults(std::string_view id,
                                  const std::function<Status(std::string_view lines)>& sink) {
  // A few chunks at a time: memory holds their results, not the job's.
  constexpr int64_t kBatch = 16;
  const std::string job = JobKey(id);
  for (int64_t start = 0;; start += kBatch) {
    INFERD_ASSIGN_OR_RETURN(RedisReply indexes,
                            redis_.Command({"ZRANGE", job + ":chunks", std::to_string(start),
                                            std::to_string(start + kBatch - 1)}));
    if (indexes.elements.empty()) return Status::Ok();
    std::vector<std::vector<std::string>> reads;
    for (const RedisReply& index : indexes.elements) {
      reads.push_back({"HMGET", job + ":c:" + index.text, "done", "retry", "results"});
    }
    INFERD_ASSIGN_OR_RETURN(std::vector<RedisReply> chunks, redis_.Pipeline(reads));
    for (const RedisReply& c : chunks) {
      if (c.error()) return Internal("Redis: read a job's results: " + c.text);
      // A chunk requeued for its failed rows keeps its lines until done again.
      if (c.elements.size() == 3 && (c.elements[0].text == "1" || c.elements[1].text == "1")) {
        INFERD_RETURN_IF_ERROR(sink(c.elements[2].text));
      }
    }
  }
}

Status RedisJobStore::DeleteJob(std::string_view id) {
  {
    std::lock_guard lock(mu_);
    const auto claims = claims_.find(id);
    if (claims != claims_.end()) claims_.erase(claims);
    const auto reading = reading_.find(id);
    if (reading != reading_.end()) reading_.erase(reading);
  }
  const std::string job = JobKey(id);
  INFERD_ASSIGN_OR_RETURN(RedisReply indexes,
                          redis_.Command({"ZRANGE", job + ":chunks", "0", "-1"}));
  // The job goes first, so that it is gone to every reader; its chunks follow.
  std::vector<std::vector<std::string>> commands{
      {"ZREM", options_.prefix + "jobs", std::string(id)},
      {"ZREM", UnfinishedKey(), std::string(id)},
      {"UNLINK", job, job + ":chunks", job + ":pending", job + ":failed", job + ":errors",
       job + ":stream", job + ":reader"}};
  std::vector<std::string> chunks{"UNLINK"};
  for (const RedisReply& index : indexes.elements) {
    chunks.push_back(job + ":c:" + index.text);
    if (chunks.size() > 512) {
      commands.push_back(std::move(chunks));
      chunks = {"UNLINK"};
    }
  }
  if (chunks.size() > 1) commands.push_back(std::move(chunks));
  INFERD_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, redis_.Pipeline(commands));
  for (const RedisReply& r : replies) {
    if (r.error()) return Internal("Redis: delete a job: " + r.text);
  }
  return Status::Ok();
}

std::vector<std::string> RedisJobStore::HoldReadingCommand(std::string_view id) const {
  return {"EVAL",
          kHoldReadingScript,
          "2",
          JobKey(id),
          ReaderKey(id),
          consumer_,
          std::to_string(options_.lease.count())};
}

Status RedisJobStore::HoldReading(std::string_view id) {
  {
    // Renewed from now on, even if Redis does not answer this time.
    std::lock_guard lock(mu_);
    reading_.emplace(id);
  }
  auto reply = redis_.Command(HoldReadingCommand(id));
  Status held = ScriptResult(reply, id);
  if (held.ok() && reply->integer == 0) {
    held = FailedPrecondition("job '" + std::string(id) + "' is no longer validating");
  }
  if (held.code() == StatusCode::kFailedPrecondition || held.code() == StatusCode::kNotFound) {
    std::lock_guard lock(mu_);
    reading_.erase(std::string(id));
  }
  return held;
}

void RedisJobStore::ReleaseReading(std::string_view id) {
  {
    std::lock_guard lock(mu_);
    const auto reading = reading_.find(id);
    if (reading == reading_.end()) return;
    reading_.erase(reading);
  }
  // Left to expire if Redis is away: the job is no longer validating then.
  (void)redis_.Command({"DEL", ReaderKey(id)});
}

StatusOr<bool> RedisJobStore::ReaderGone(std::string_view id) {
  INFERD_ASSIGN_OR_RETURN(
      RedisReply gone, redis_.Command({"EVAL", kReaderGoneScript, "2", JobKey(id), ReaderKey(id)}));
  return gone.integer == 1;
}

void RedisJobStore::RenewLoop() {
  const auto every = std::max(options_.lease / 3, std::chrono::milliseconds(10));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, every, [this] { return stopping_; });
    if (stopping_) break;
    std::map<std::string, std::vector<std::string>> held;
    for (const auto& [job, claims] : claims_) {
      for (const auto& [message, index] : claims) held[job].push_back(message);
    }
    std::vector<std::vector<std::string>> readers;
    for (const std::string& job : reading_) readers.push_back(HoldReadingCommand(job));
    lock.unlock();
    if (!readers.empty()) {
      if (auto renewed = redis_.Pipeline(readers); !renewed.ok()) {
        LogWarn("cannot renew the leases on the inputs being read",
                {{"reason", renewed.status().message()}});
      }
    }
    for (const auto& [job, messages] : held) {
      std::vector<std::string> args{"EVAL", kRenewScript, "1", JobKey(job) + ":stream", consumer_};
      args.insert(args.end(), messages.begin(), messages.end());
      auto lost = redis_.Command(args);
      if (!lost.ok()) {
        LogWarn("cannot renew job claims", {{"job", job}, {"reason", lost.status().message()}});
        continue;
      }
      // Another replica took these over (this one was silent too long): its
      // results, if first, are the ones kept.
      std::lock_guard relock(mu_);
      const auto claims = claims_.find(job);
      if (claims == claims_.end()) continue;
      for (const RedisReply& message : lost->elements) claims->second.erase(message.text);
    }
    lock.lock();
  }
}

}  // namespace inferd
