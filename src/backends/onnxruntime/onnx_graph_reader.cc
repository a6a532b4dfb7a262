#include "backends/onnxruntime/onnx_graph_reader.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <unistd.h>

#include <cctype>
#include <climits>
#include <set>

namespace inferd::ort {
namespace {

namespace pbio = google::protobuf::io;
using WFL = google::protobuf::internal::WireFormatLite;

// ONNX field numbers (onnx.proto): ModelProto.ir_version = 1, graph = 7,
// opset_import = 8; OperatorSetIdProto.domain = 1, version = 2;
// GraphProto.node = 1; NodeProto.input = 1, output = 2, op_type = 4,
// attribute = 5; AttributeProto.name = 1, ints = 8, strings = 9.
constexpr int kModelIrVersion = 1;
constexpr int kModelGraph = 7;
constexpr int kModelOpsetImport = 8;
constexpr int kOpsetDomain = 1;
constexpr int kOpsetVersion = 2;
constexpr int kGraphNode = 1;
constexpr int kNodeInput = 1;
constexpr int kNodeOutput = 2;
constexpr int kNodeOpType = 4;
constexpr int kNodeAttribute = 5;
constexpr int kAttrName = 1;
constexpr int kAttrInts = 8;
constexpr int kAttrStrings = 9;

bool ReadString(pbio::CodedInputStream& in, std::string& out) {
  uint32_t len = 0;
  return in.ReadVarint32(&len) && in.ReadString(&out, static_cast<int>(len));
}

// Reads one AttributeProto (the stream is limited to it).
bool ReadAttribute(pbio::CodedInputStream& in, std::string& name,
                   std::vector<std::string>& labels) {
  // Only class labels are kept. The name normally comes first; once it is
  // known to be another attribute (a tree ensemble's millions of node ids),
  // its values are skipped rather than collected.
  const auto wanted = [&] {
    return name.empty() || name == "classlabels_int64s" || name == "classlabels_strings";
  };
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  while (uint32_t tag = in.ReadTag()) {
    const int field = WFL::GetTagFieldNumber(tag);
    const auto type = WFL::GetTagWireType(tag);
    if (field == kAttrName && type == WFL::WIRETYPE_LENGTH_DELIMITED) {
      if (!ReadString(in, name)) return false;
    } else if (!wanted()) {
      if (!WFL::SkipField(&in, tag)) return false;
    } else if (field == kAttrInts && type == WFL::WIRETYPE_VARINT) {
      uint64_t v = 0;
      if (!in.ReadVarint64(&v)) return false;
      ints.push_back(static_cast<int64_t>(v));
    } else if (field == kAttrInts && type == WFL::WIRETYPE_LENGTH_DELIMITED) {  // packed
      uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return false;
      const auto limit = in.PushLimit(static_cast<int>(len));
      while (in.BytesUntilLimit() > 0) {
        uint64_t v = 0;
        if (!in.ReadVarint64(&v)) return false;
        ints.push_back(static_cast<int64_t>(v));
      }
      in.PopLimit(limit);
    } else if (field == kAttrStrings && type == WFL::WIRETYPE_LENGTH_DELIMITED) {
      std::string s;
      if (!ReadString(in, s)) return false;
      strings.push_back(std::move(s));
    } else if (!WFL::SkipField(&in, tag)) {
      return false;
    }
  }
  if (name == "classlabels_int64s") {
    labels.clear();
    for (int64_t v : ints) labels.push_back(std::to_string(v));
  }
  if (name == "classlabels_strings") labels = std::move(strings);
  return true;
}

// Reads one NodeProto; keeps it when it carries class labels or may pass
// class scores on (any single-input node), so that outputs can be traced.
bool ReadNode(pbio::CodedInputStream& in, std::vector<OnnxNode>& nodes) {
  OnnxNode node;
  while (uint32_t tag = in.ReadTag()) {
    const int field = WFL::GetTagFieldNumber(tag);
    const auto type = WFL::GetTagWireType(tag);
    if (type != WFL::WIRETYPE_LENGTH_DELIMITED ||
        (field != kNodeInput && field != kNodeOutput && field != kNodeOpType &&
         field != kNodeAttribute)) {
      if (!WFL::SkipField(&in, tag)) return false;
      continue;
    }
    if (field == kNodeAttribute) {
      uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return false;
      const auto limit = in.PushLimit(static_cast<int>(len));
      std::string name;
      std::vector<std::string> attr_labels;
      if (!ReadAttribute(in, name, attr_labels)) return false;
      if (!in.ConsumedEntireMessage()) return false;
      in.PopLimit(limit);
      if (!attr_labels.empty()) node.class_labels = std::move(attr_labels);
      continue;
    }
    std::string value;
    if (!ReadString(in, value)) return false;
    if (field == kNodeOpType) node.op_type = std::move(value);
    if (field == kNodeInput) node.inputs.push_back(std::move(value));
    if (field == kNodeOutput) node.outputs.push_back(std::move(value));
  }
  if (!node.outputs.empty()) nodes.push_back(std::move(node));
  return true;
}

bool ReadOpset(pbio::CodedInputStream& in, std::map<std::string, int64_t>& opsets) {
  std::string domain;
  uint64_t version = 0;
  while (uint32_t tag = in.ReadTag()) {
    const int field = WFL::GetTagFieldNumber(tag);
    const auto type = WFL::GetTagWireType(tag);
    if (field == kOpsetDomain && type == WFL::WIRETYPE_LENGTH_DELIMITED) {
      if (!ReadString(in, domain)) return false;
    } else if (field == kOpsetVersion && type == WFL::WIRETYPE_VARINT) {
      if (!in.ReadVarint64(&version)) return false;
    } else if (!WFL::SkipField(&in, tag)) {
      return false;
    }
  }
  // "ai.onnx" and "" name the same default domain.
  if (domain == "ai.onnx") domain.clear();
  opsets[domain] = static_cast<int64_t>(version);
  return true;
}

// Walks ModelProto -> graph -> node, skipping every other field.
StatusOr<OnnxFileFacts> Walk(pbio::ZeroCopyInputStream& raw) {
  pbio::CodedInputStream in(&raw);
  in.SetTotalBytesLimit(INT_MAX);
  OnnxFileFacts facts;
  const Status bad = InvalidArgument("the model file is not a valid ONNX protobuf");
  while (uint32_t tag = in.ReadTag()) {
    const int field = WFL::GetTagFieldNumber(tag);
    const auto type = WFL::GetTagWireType(tag);
    if (field == kModelIrVersion && type == WFL::WIRETYPE_VARINT) {
      uint64_t v = 0;
      if (!in.ReadVarint64(&v)) return bad;
      facts.ir_version = static_cast<int64_t>(v);
      continue;
    }
    if (field == kModelOpsetImport && type == WFL::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return bad;
      const auto limit = in.PushLimit(static_cast<int>(len));
      if (!ReadOpset(in, facts.opsets) || !in.ConsumedEntireMessage()) return bad;
      in.PopLimit(limit);
      continue;
    }
    if (field != kModelGraph || type != WFL::WIRETYPE_LENGTH_DELIMITED) {
      if (!WFL::SkipField(&in, tag)) return bad;
      continue;
    }
    uint32_t graph_len = 0;
    if (!in.ReadVarint32(&graph_len)) return bad;
    const auto graph_limit = in.PushLimit(static_cast<int>(graph_len));
    while (uint32_t gtag = in.ReadTag()) {
      if (WFL::GetTagFieldNumber(gtag) != kGraphNode ||
          WFL::GetTagWireType(gtag) != WFL::WIRETYPE_LENGTH_DELIMITED) {
        if (!WFL::SkipField(&in, gtag)) return bad;
        continue;
      }
      uint32_t node_len = 0;
      if (!in.ReadVarint32(&node_len)) return bad;
      const auto node_limit = in.PushLimit(static_cast<int>(node_len));
      if (!ReadNode(in, facts.nodes) || !in.ConsumedEntireMessage()) return bad;
      in.PopLimit(node_limit);
    }
    if (!in.ConsumedEntireMessage()) return bad;
    in.PopLimit(graph_limit);
  }
  if (!in.ConsumedEntireMessage()) return bad;
  return facts;
}

// Nodes that hand class scores on column for column.
bool KeepsColumns(const std::string& op_type) {
  static const std::set<std::string, std::less<>> kOps = {
      "Identity", "Cast", "CastLike", "Normalizer", "Softmax", "Sigmoid", "Clip", "Abs", "Relu"};
  return kOps.count(op_type) > 0;
}

}  // namespace

std::map<std::string, std::vector<std::string>> OnnxFileFacts::ZipMapLabels() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const OnnxNode& node : nodes) {
    if (node.op_type == "ZipMap") out[node.outputs.front()] = node.class_labels;
  }
  return out;
}

std::vector<std::string> OnnxFileFacts::ScoreLabels(const std::string& output,
                                                    int64_t columns) const {
  std::map<std::string_view, const OnnxNode*> producer;
  const OnnxNode* only_classifier = nullptr;
  size_t classifiers = 0;
  for (const OnnxNode& node : nodes) {
    for (const auto& name : node.outputs) producer[name] = &node;
    if (!node.class_labels.empty() && node.op_type != "ZipMap") {
      ++classifiers;
      only_classifier = &node;
    }
  }
  std::string_view name = output;
  for (size_t hops = 0; hops <= nodes.size(); ++hops) {
    auto it = producer.find(name);
    if (it == producer.end()) break;
    const OnnxNode& node = *it->second;
    // A classifier's second output is its scores, one column per label.
    if (!node.class_labels.empty() && node.op_type != "ZipMap") {
      if (node.outputs.size() > 1 && node.outputs[1] == name) return node.class_labels;
      break;
    }
    if (!KeepsColumns(node.op_type) || node.inputs.empty()) break;
    name = node.inputs.front();
  }
  // When tracing fails (a Concat, say, as converters build for binary
  // classifiers), an output that says it holds probabilities or scores and has
  // one column per class of the graph's only classifier gets its labels.
  std::string lower(output);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool named_as_scores =
      lower.find("prob") != std::string::npos || lower.find("score") != std::string::npos;
  if (classifiers == 1 && named_as_scores && columns > 0 &&
      static_cast<size_t>(columns) == only_classifier->class_labels.size()) {
    return only_classifier->class_labels;
  }
  return {};
}

StatusOr<OnnxFileFacts> ReadOnnxFacts(const std::filesystem::path& model_file) {
  const int fd = ::open(model_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open " + model_file.string());
  pbio::FileInputStream stream(fd);
  stream.SetCloseOnDelete(true);
  return Walk(stream);
}

StatusOr<OnnxFileFacts> ReadOnnxFactsFromBytes(std::string_view bytes) {
  pbio::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  return Walk(stream);
}

}  // namespace inferd::ort
