// L1 of the benchmark suite: ONNX Runtime called in-process, with no server in
// between. It is the ceiling for what inferd can reach with the same model and
// the same libonnxruntime, so the suite reports inferd as a fraction of it.
//
//   inferd_bench_l1 --model PATH [--batch B] [--seconds S] [--threads T]
//                   [--intra-op-threads N] [--warmup-runs W] [--jsonl FILE]
//
// Builds one session with inferd's default options (intra-op threads 1, inter-op
// 1, sequential, all graph optimizations, no spinning), fills every input with
// deterministic data (the first dim set to B; every other dim must be fixed), and
// lets T threads call Run() on that one session back to back for S seconds.
// Prints one JSON object on stdout: inferences/s, rows/s and Run() latency
// percentiles.
//
// With --jsonl, the ceiling for a batch job instead: the file's rows (JSON
// arrays of numbers, one a line, for a model whose one input is FP32
// [-1, width]) are read, parsed into batches of B, run by T threads, and
// each row's outputs written back as text, once through the whole file,
// timed from the first read to the last row written (nothing kept, nothing
// durable). rows/s is the file's rows over that time.
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string model;
  int64_t batch = 1;
  double seconds = 5.0;
  int threads = 1;
  int intra_op_threads = 1;
  int warmup_runs = 5;
  std::string jsonl;
};

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "inferd_bench_l1: " << error << "\n"
            << "usage: inferd_bench_l1 --model PATH [--batch B] [--seconds S] [--threads T]\n"
            << "                       [--intra-op-threads N] [--warmup-runs W] [--jsonl FILE]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage("missing value after " + flag);
    const char* value = argv[++i];
    if (flag == "--model") {
      o.model = value;
    } else if (flag == "--batch") {
      o.batch = std::atoll(value);
    } else if (flag == "--seconds") {
      o.seconds = std::atof(value);
    } else if (flag == "--threads") {
      o.threads = std::atoi(value);
    } else if (flag == "--intra-op-threads") {
      o.intra_op_threads = std::atoi(value);
    } else if (flag == "--warmup-runs") {
      o.warmup_runs = std::atoi(value);
    } else if (flag == "--jsonl") {
      o.jsonl = value;
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (o.model.empty()) Usage("--model is required");
  if (o.batch < 1 || o.seconds <= 0 || o.threads < 1 || o.intra_op_threads < 1) {
    Usage("--batch, --seconds, --threads and --intra-op-threads must be positive");
  }
  return o;
}

// One input's name, element type and concrete shape, with its data.
struct Input {
  std::string name;
  ONNXTensorElementDataType type;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

size_t ElementSize(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return 1;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return 2;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return 4;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return 8;
    default:
      throw std::runtime_error("input element type " + std::to_string(type) +
                               " is not supported (strings are not)");
  }
}

// Deterministic inputs: FP32 gets values in [-1, 1) from a fixed LCG (a model
// fed zeros could take shortcuts a real input would not); other types get zeros.
std::vector<Input> MakeInputs(Ort::Session& session, int64_t batch) {
  Ort::AllocatorWithDefaultOptions allocator;
  std::vector<Input> inputs;
  uint32_t state = 12345;
  for (size_t i = 0; i < session.GetInputCount(); ++i) {
    Input in;
    in.name = session.GetInputNameAllocated(i, allocator).get();
    // The shape info is a view into the TypeInfo: keep that alive while reading it.
    const Ort::TypeInfo type_info = session.GetInputTypeInfo(i);
    auto info = type_info.GetTensorTypeAndShapeInfo();
    in.type = info.GetElementType();
    in.shape = info.GetShape();
    int64_t count = 1;
    for (size_t d = 0; d < in.shape.size(); ++d) {
      if (d == 0 && in.shape[d] < 0) in.shape[d] = batch;
      if (in.shape[d] < 0) {
        throw std::runtime_error("input '" + in.name + "' has a dynamic dim other than the first");
      }
      count *= in.shape[d];
    }
    in.bytes.assign(static_cast<size_t>(count) * ElementSize(in.type), 0);
    if (in.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
      auto* f = reinterpret_cast<float*>(in.bytes.data());
      for (int64_t k = 0; k < count; ++k) {
        state = state * 1664525u + 1013904223u;
        f[k] = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
      }
    }
    inputs.push_back(std::move(in));
  }
  return inputs;
}

// Each thread owns its tensors (they wrap the same input bytes, which Run only reads).
struct Worker {
  std::vector<Ort::Value> values;
  std::vector<const char*> input_names;
  std::vector<const char*> output_names;
  std::vector<double> latencies_us;
};

Worker MakeWorker(std::vector<Input>& inputs, const std::vector<std::string>& outputs) {
  Worker w;
  const auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  for (auto& in : inputs) {
    w.values.push_back(Ort::Value::CreateTensor(memory, in.bytes.data(), in.bytes.size(),
                                                in.shape.data(), in.shape.size(), in.type));
    w.input_names.push_back(in.name.c_str());
  }
  for (const auto& name : outputs) w.output_names.push_back(name.c_str());
  return w;
}

void RunOnce(Ort::Session& session, Worker& w) {
  auto out = session.Run(Ort::RunOptions{nullptr}, w.input_names.data(), w.values.data(),
                         w.values.size(), w.output_names.data(), w.output_names.size());
  if (out.size() != w.output_names.size()) throw std::runtime_error("Run returned too few outputs");
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  const size_t idx = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[idx];
}

// One row's numbers ("[0.5,1,-2e-3]") into `out`; false when it is not
// `width` plain numbers.
bool ParseRow(std::string_view row, int64_t width, float* out) {
  const char* p = row.data();
  const char* end = p + row.size();
  const auto skip = [&] {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
  };
  skip();
  if (p == end || *p++ != '[') return false;
  for (int64_t k = 0; k < width; ++k) {
    skip();
    const auto [next, ec] = std::from_chars(p, end, out[k]);
    if (ec != std::errc()) return false;
    p = next;
    skip();
    if (p == end || *p++ != (k + 1 == width ? ']' : ',')) return false;
  }
  return true;
}

// Appends one row's values of an output (`per_row` of them) as text.
void WriteValues(const Ort::Value& value, size_t row, size_t per_row, std::string& out) {
  char number[32];
  const auto type = value.GetTensorTypeAndShapeInfo().GetElementType();
  out += '[';
  for (size_t k = 0; k < per_row; ++k) {
    if (k > 0) out += ',';
    char* end = number;
    if (type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
      end = std::to_chars(number, number + sizeof number,
                          value.GetTensorData<float>()[row * per_row + k])
                .ptr;
    } else if (type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64) {
      end = std::to_chars(number, number + sizeof number,
                          value.GetTensorData<int64_t>()[row * per_row + k])
                .ptr;
    }
    out.append(number, end);
  }
  out += ']';
}

int MainJsonl(const Options& o, Ort::Session& session, const std::vector<std::string>& outputs) {
  Ort::AllocatorWithDefaultOptions allocator;
  if (session.GetInputCount() != 1) throw std::runtime_error("--jsonl needs a model of one input");
  const std::string input_name = session.GetInputNameAllocated(0, allocator).get();
  const Ort::TypeInfo type_info = session.GetInputTypeInfo(0);
  const auto info = type_info.GetTensorTypeAndShapeInfo();
  const std::vector<int64_t> shape = info.GetShape();
  if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || shape.size() != 2 ||
      shape[1] < 1) {
    throw std::runtime_error("--jsonl needs a model whose input is FP32 [-1, width]");
  }
  const int64_t width = shape[1];

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::string text;
  {
    std::ifstream in(o.jsonl, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + o.jsonl);
    std::ostringstream all;
    all << in.rdbuf();
    text = std::move(all).str();
  }
  std::vector<std::string_view> rows;
  for (size_t at = 0; at < text.size();) {
    const void* nl = std::memchr(text.data() + at, '\n', text.size() - at);
    const size_t end =
        nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    if (end > at) rows.emplace_back(text.data() + at, end - at);
    at = end + 1;
  }
  const auto batches = static_cast<int64_t>((rows.size() + o.batch - 1) / o.batch);
  std::atomic<int64_t> next{0};
  std::atomic<size_t> written{0};
  std::atomic<bool> bad{false};
  std::vector<const char*> output_names;
  for (const auto& name : outputs) output_names.push_back(name.c_str());

  // One thread's share: the next batch of rows, until there is none.
  const auto run_batches = [&] {
    const auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<float> values(static_cast<size_t>(o.batch * width));
    std::string out;
    const char* input_names[] = {input_name.c_str()};
    for (int64_t b; (b = next.fetch_add(1)) < batches;) {
      const size_t first = static_cast<size_t>(b * o.batch);
      const size_t count = std::min(rows.size() - first, static_cast<size_t>(o.batch));
      for (size_t r = 0; r < count; ++r) {
        if (!ParseRow(rows[first + r], width, values.data() + r * width)) bad = true;
      }
      const std::array<int64_t, 2> dims{static_cast<int64_t>(count), width};
      Ort::Value tensor = Ort::Value::CreateTensor<float>(
          memory, values.data(), count * static_cast<size_t>(width), dims.data(), dims.size());
      auto result = session.Run(Ort::RunOptions{nullptr}, input_names, &tensor, 1,
                                output_names.data(), output_names.size());
      out.clear();
      for (size_t r = 0; r < count; ++r) {
        for (const Ort::Value& v : result) {
          if (!v.IsTensor()) continue;  // a sequence of maps (ZipMap): computed, not written
          const size_t per_row = v.GetTensorTypeAndShapeInfo().GetElementCount() / count;
          WriteValues(v, r, per_row, out);
        }
        out += '\n';
      }
      written += out.size();
    }
  };
  std::mutex error_mu;
  std::string error;
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&] {
      try {
        run_batches();
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mu);
        error = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (!error.empty()) throw std::runtime_error(error);
  if (bad) {
    throw std::runtime_error(o.jsonl + " has rows that are not " + std::to_string(width) +
                             " plain numbers");
  }
  std::printf(
      "{\"model\": \"%s\", \"jsonl\": \"%s\", \"batch\": %lld, \"threads\": %d, "
      "\"intra_op_threads\": %d, \"seconds\": %.3f, \"rows\": %zu, \"rows_per_s\": %.1f, "
      "\"bytes_written\": %zu}\n",
      o.model.c_str(), o.jsonl.c_str(), static_cast<long long>(o.batch), o.threads,
      o.intra_op_threads, elapsed, rows.size(), static_cast<double>(rows.size()) / elapsed,
      written.load());
  return 0;
}

int Main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "inferd_bench_l1");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(o.intra_op_threads);
  so.SetInterOpNumThreads(1);
  so.SetExecutionMode(ORT_SEQUENTIAL);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  so.AddConfigEntry("session.intra_op.allow_spinning", "0");
  so.AddConfigEntry("session.inter_op.allow_spinning", "0");
  Ort::Session session(env, o.model.c_str(), so);

  Ort::AllocatorWithDefaultOptions allocator;
  std::vector<std::string> outputs;
  for (size_t i = 0; i < session.GetOutputCount(); ++i) {
    outputs.emplace_back(session.GetOutputNameAllocated(i, allocator).get());
  }
  if (!o.jsonl.empty()) return MainJsonl(o, session, outputs);
  std::vector<Input> inputs = MakeInputs(session, o.batch);

  std::vector<Worker> workers;
  for (int t = 0; t < o.threads; ++t) workers.push_back(MakeWorker(inputs, outputs));
  for (int i = 0; i < o.warmup_runs; ++i) RunOnce(session, workers[0]);

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&session, &w, deadline] {
      for (auto now = Clock::now(); now < deadline;) {
        RunOnce(session, w);
        const auto done = Clock::now();
        w.latencies_us.push_back(std::chrono::duration<double, std::micro>(done - now).count());
        now = done;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> all;
  for (auto& w : workers) all.insert(all.end(), w.latencies_us.begin(), w.latencies_us.end());
  std::sort(all.begin(), all.end());
  const double runs = static_cast<double>(all.size());
  std::printf(
      "{\"model\": \"%s\", \"batch\": %lld, \"threads\": %d, \"intra_op_threads\": %d, "
      "\"seconds\": %.3f, \"inferences\": %zu, \"inferences_per_s\": %.1f, \"rows_per_s\": %.1f, "
      "\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f}\n",
      o.model.c_str(), static_cast<long long>(o.batch), o.threads, o.intra_op_threads, elapsed,
      all.size(), runs / elapsed, runs * static_cast<double>(o.batch) / elapsed,
      Percentile(all, 0.50), Percentile(all, 0.90), Percentile(all, 0.99));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "inferd_bench_l1: " << e.what() << "\n";
    return 1;
  }
}
