#include "backends/onnxruntime/onnx_graph_reader.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <unistd.h>

#include <climits>

namespace inferd::ort {
namespace {

namespace pbio = google::protobuf::io;
using WFL = google::protobuf::internal::WireFormatLite;

// ONNX field numbers (onnx.proto): ModelProto.graph = 7, GraphProto.node = 1,
// NodeProto.output = 2, op_type = 4, attribute = 5; AttributeProto.name = 1,
// ints = 8, strings = 9.
constexpr int kModelGraph = 7;
constexpr int kGraphNode = 1;
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
  std::vector<std::string> ints;
  std::vector<std::string> strings;
  while (uint32_t tag = in.ReadTag()) {
    const int field = WFL::GetTagFieldNumber(tag);
    const auto type = WFL::GetTagWireType(tag);
    if (field == kAttrName && type == WFL::WIRETYPE_LENGTH_DELIMITED) {
      if (!ReadString(in, name)) return false;
    } else if (field == kAttrInts && type == WFL::WIRETYPE_VARINT) {
      uint64_t v = 0;
      if (!in.ReadVarint64(&v)) return false;
      ints.push_back(std::to_string(static_cast<int64_t>(v)));
    } else if (field == kAttrInts && type == WFL::WIRETYPE_LENGTH_DELIMITED) {  // packed
      uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return false;
      const auto limit = in.PushLimit(static_cast<int>(len));
      while (in.BytesUntilLimit() > 0) {
        uint64_t v = 0;
        if (!in.ReadVarint64(&v)) return false;
        ints.push_back(std::to_string(static_cast<int64_t>(v)));
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
  if (name == "classlabels_int64s") labels = std::move(ints);
  if (name == "classlabels_strings") labels = std::move(strings);
  return true;
}

// Reads one NodeProto; records labels when it is a ZipMap.
bool ReadNode(pbio::CodedInputStream& in, std::map<std::string, std::vector<std::string>>& out) {
  std::string op_type;
  std::string first_output;
  std::vector<std::string> labels;
  while (uint32_t tag = in.ReadTag()) {
    const int field = WFL::GetTagFieldNumber(tag);
    const auto type = WFL::GetTagWireType(tag);
    if (type != WFL::WIRETYPE_LENGTH_DELIMITED ||
        (field != kNodeOutput && field != kNodeOpType && field != kNodeAttribute)) {
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
      if (!attr_labels.empty()) labels = std::move(attr_labels);
      continue;
    }
    std::string value;
    if (!ReadString(in, value)) return false;
    if (field == kNodeOpType) op_type = std::move(value);
    if (field == kNodeOutput && first_output.empty()) first_output = std::move(value);
  }
  if (op_type == "ZipMap" && !first_output.empty()) out[first_output] = std::move(labels);
  return true;
}

// Walks ModelProto -> graph -> node, skipping every other field.
StatusOr<std::map<std::string, std::vector<std::string>>> Walk(pbio::ZeroCopyInputStream& raw) {
  pbio::CodedInputStream in(&raw);
  in.SetTotalBytesLimit(INT_MAX);
  std::map<std::string, std::vector<std::string>> out;
  const Status bad = InvalidArgument("the model file is not a valid ONNX protobuf");
  while (uint32_t tag = in.ReadTag()) {
    if (WFL::GetTagFieldNumber(tag) != kModelGraph ||
        WFL::GetTagWireType(tag) != WFL::WIRETYPE_LENGTH_DELIMITED) {
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
      if (!ReadNode(in, out) || !in.ConsumedEntireMessage()) return bad;
      in.PopLimit(node_limit);
    }
    if (!in.ConsumedEntireMessage()) return bad;
    in.PopLimit(graph_limit);
  }
  if (!in.ConsumedEntireMessage()) return bad;
  return out;
}

}  // namespace

StatusOr<std::map<std::string, std::vector<std::string>>> ReadZipMapLabels(
    const std::filesystem::path& model_file) {
  const int fd = ::open(model_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open " + model_file.string());
  pbio::FileInputStream stream(fd);
  stream.SetCloseOnDelete(true);
  return Walk(stream);
}

StatusOr<std::map<std::string, std::vector<std::string>>> ReadZipMapLabelsFromBytes(
    std::string_view bytes) {
  pbio::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  return Walk(stream);
}

}  // namespace inferd::ort
