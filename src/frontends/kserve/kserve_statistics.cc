#include "frontends/kserve/kserve_statistics.h"

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"

namespace inferd::kserve {
namespace {

void WriteDuration(http::JsonWriter& w, const char* key, const DurationStat& d) {
  w.Key(key);
  w.StartObject();
  w.Key("count");
  w.Uint64(d.count);
  w.Key("ns");
  w.Uint64(d.ns);
  w.EndObject();
}

void ToProto(const DurationStat& d, inference::StatisticDuration* out) {
  out->set_count(d.count);
  out->set_ns(d.ns);
}

}  // namespace

std::string StatisticsToJson(const std::vector<VersionStatistics>& stats) {
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("model_stats");
  w.StartArray();
  for (const VersionStatistics& v : stats) {
    const ModelStatisticsSnapshot& s = v.stats;
    w.StartObject();
    w.Key("name");
    w.String(v.name.data(), static_cast<rapidjson::SizeType>(v.name.size()));
    w.Key("version");
    const std::string version = std::to_string(v.version);
    w.String(version.data(), static_cast<rapidjson::SizeType>(version.size()));
    w.Key("last_inference");
    w.Uint64(s.last_inference_ms);
    w.Key("inference_count");
    w.Uint64(s.inference_count);
    w.Key("execution_count");
    w.Uint64(s.execution_count);
    w.Key("inference_stats");
    w.StartObject();
    WriteDuration(w, "success", s.success);
    WriteDuration(w, "fail", s.fail);
    WriteDuration(w, "queue", s.queue);
    WriteDuration(w, "compute_input", s.compute_input);
    WriteDuration(w, "compute_infer", s.compute_infer);
    WriteDuration(w, "compute_output", s.compute_output);
    WriteDuration(w, "cache_hit", {});
    WriteDuration(w, "cache_miss", {});
    w.EndObject();
    w.Key("batch_stats");
    w.StartArray();
    for (const BatchStat& b : s.batch_stats) {
      w.StartObject();
      w.Key("batch_size");
      w.Uint64(static_cast<uint64_t>(b.batch_size));
      WriteDuration(w, "compute_input", b.compute_input);
      WriteDuration(w, "compute_infer", b.compute_infer);
      WriteDuration(w, "compute_output", b.compute_output);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.Release();
}

void StatisticsToProto(const std::vector<VersionStatistics>& stats,
                       inference::ModelStatisticsResponse& out) {
  for (const VersionStatistics& v : stats) {
    const ModelStatisticsSnapshot& s = v.stats;
    auto* m = out.add_model_stats();
    m->set_name(v.name);
    m->set_version(std::to_string(v.version));
    m->set_last_inference(s.last_inference_ms);
    m->set_inference_count(s.inference_count);
    m->set_execution_count(s.execution_count);
    auto* infer = m->mutable_inference_stats();
    ToProto(s.success, infer->mutable_success());
    ToProto(s.fail, infer->mutable_fail());
    ToProto(s.queue, infer->mutable_queue());
    ToProto(s.compute_input, infer->mutable_compute_input());
    ToProto(s.compute_infer, infer->mutable_compute_infer());
    ToProto(s.compute_output, infer->mutable_compute_output());
    infer->mutable_cache_hit();
    infer->mutable_cache_miss();
    for (const BatchStat& b : s.batch_stats) {
      auto* batch = m->add_batch_stats();
      batch->set_batch_size(static_cast<uint64_t>(b.batch_size));
      ToProto(b.compute_input, batch->mutable_compute_input());
      ToProto(b.compute_infer, batch->mutable_compute_infer());
      ToProto(b.compute_output, batch->mutable_compute_output());
    }
  }
}

}  // namespace inferd::kserve
