// The :classify and :regress bodies (declared in tfserving_json.h).
#include <cmath>
#include <limits>

#include "frontends/http/json_buffer.h"
#include "frontends/tfserving/base64.h"
#include "frontends/tfserving/tfserving_json.h"
#include "frontends/tfserving/tfserving_json_internal.h"

namespace inferd::tfserving {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using namespace internal;
using Kind = FeatureValue::Kind;

constexpr int kMaxDepth = 64;

Status FlattenLeaves(element value, std::vector<element>& leaves, int depth) {
  if (depth > kMaxDepth) return InvalidArgument("a feature value is nested too deeply");
  if (value.type() != element_type::ARRAY) {
    leaves.push_back(value);
    return Status::Ok();
  }
  for (element item : simdjson::dom::array(value)) {
    INFERD_RETURN_IF_ERROR(FlattenLeaves(item, leaves, depth + 1));
  }
  return Status::Ok();
}

StatusOr<FeatureValue> DecodeFeature(std::string_view key, element value, bool nonfinite) {
  std::vector<element> leaves;
  INFERD_RETURN_IF_ERROR(FlattenLeaves(value, leaves, 0));
  auto error = [&](const char* what) {
    return InvalidArgument("feature '" + std::string(key) + "' " + what);
  };
  FeatureValue out;
  bool strings = false, numbers = false, floats = false;
  for (element leaf : leaves) {
    std::string_view s;
    double d = 0;
    if (IsB64Object(leaf) || (leaf.get_string().get(s) == simdjson::SUCCESS &&
                              !(nonfinite && NonFiniteMarker(s) != NonFinite::kNone))) {
      strings = true;
    } else if (leaf.type() == element_type::BOOL || leaf.type() == element_type::INT64) {
      numbers = true;
    } else if (LeafAsDouble(leaf, nonfinite, d)) {
      numbers = true;
      floats = true;  // a double, a uint64 past int64, or NaN/Infinity
    } else {
      return error("holds a value that is not a number, string or {\"b64\": ...}");
    }
  }
  if (strings && numbers) return error("mixes strings and numbers");
  out.kind = strings ? Kind::kBytes : floats ? Kind::kFloat : Kind::kInt64;
  for (element leaf : leaves) {
    if (out.kind == Kind::kBytes) {
      if (IsB64Object(leaf)) {
        auto decoded = Base64Decode(simdjson::dom::object(leaf)["b64"].get_string().value());
        if (!decoded) return error("has a {\"b64\": ...} that is not valid base64");
        out.bytes.push_back(std::move(*decoded));
      } else {
        out.bytes.emplace_back(leaf.get_string().value_unsafe());
      }
    } else if (leaf.type() == element_type::BOOL) {
      const int64_t v = bool(leaf) ? 1 : 0;
      out.kind == Kind::kFloat ? out.floats.push_back(static_cast<float>(v))
                               : out.ints.push_back(v);
    } else if (out.kind == Kind::kInt64) {
      out.ints.push_back(int64_t(leaf));
    } else {
      double d = 0;
      LeafAsDouble(leaf, nonfinite, d);
      out.floats.push_back(static_cast<float>(d));
    }
  }
  return out;
}

StatusOr<Features> DecodeFeatures(element value, bool nonfinite, const std::string& what) {
  if (value.type() != element_type::OBJECT) {
    return InvalidArgument(what + " must be an object of features");
  }
  Features features;
  for (auto [key, v] : simdjson::dom::object(value)) {
    INFERD_ASSIGN_OR_RETURN(FeatureValue feature, DecodeFeature(key, v, nonfinite));
    features.emplace_back(std::string(key), std::move(feature));
  }
  return features;
}

}  // namespace

StatusOr<ExampleSet> DecodeExamplesRequest(std::string_view body) {
  INFERD_ASSIGN_OR_RETURN(ParsedBody parsed, ParseBody(body));
  ExampleSet set;
  element examples, context;
  if (parsed.root.at_key("examples").get(examples) != simdjson::SUCCESS) {
    return InvalidArgument("the request needs \"examples\"");
  }
  if (examples.type() != element_type::ARRAY) {
    return InvalidArgument("\"examples\" must be a list");
  }
  size_t index = 0;
  for (element e : simdjson::dom::array(examples)) {
    INFERD_ASSIGN_OR_RETURN(
        Features f, DecodeFeatures(e, parsed.nonfinite, "example " + std::to_string(index++)));
    set.examples.push_back(std::move(f));
  }
  if (parsed.root.at_key("context").get(context) == simdjson::SUCCESS) {
    INFERD_ASSIGN_OR_RETURN(set.context, DecodeFeatures(context, parsed.nonfinite, "\"context\""));
  }
  return set;
}

std::string EncodeClassifyResponse(const std::vector<Classes>& results) {
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  for (const Classes& classes : results) {
    w.StartArray();
    for (const auto& [label, score] : classes) {
      w.StartArray();
      w.String(label.data(), static_cast<rapidjson::SizeType>(label.size()));
      WriteFloat(w, score);
      w.EndArray();
    }
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  return buffer.Release();
}

std::string EncodeRegressResponse(const std::vector<float>& results) {
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  for (float v : results) WriteFloat(w, v);
  w.EndArray();
  w.EndObject();
  return buffer.Release();
}

}  // namespace inferd::tfserving
