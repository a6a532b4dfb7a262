// Every HTTP route the server registers is in the OpenAPI document, with its
// method. (The e2e test checks the other direction against the real server.)
#include <gtest/gtest.h>
#include <simdjson.h>

#include "backends/onnxruntime/ort_backend.h"
#include "frontends/all_frontends.h"
#include "frontends/openapi/openapi_document.h"

namespace inferd {
namespace {

std::string MethodName(http::Method m) {
  switch (m) {
    case http::Method::kGet:
      return "get";
    case http::Method::kPost:
      return "post";
    case http::Method::kPut:
      return "put";
    case http::Method::kPatch:
      return "patch";
    case http::Method::kDelete:
      return "delete";
    case http::Method::kOptions:
      return "options";
    default:
      return "other";
  }
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    const size_t next = path.find('/', pos + 1);
    out.emplace_back(
        path.substr(pos + 1, (next == std::string_view::npos ? path.size() : next) - pos - 1));
    pos = next == std::string_view::npos ? path.size() : next;
  }
  return out;
}

// A router capture {name} matches a documented {param}; a capture named
// {x_verb} (TF Serving's "m:predict" segments) matches a documented "{x}:verb".
bool SegmentMatches(const std::string& route, const std::string& doc) {
  const bool capture = route.size() > 2 && route.front() == '{';
  if (!capture) return route == doc;
  if (route.ends_with("_verb}")) return doc.front() == '{' && doc.find("}:") != std::string::npos;
  return doc.front() == '{' && doc.back() == '}';
}

TEST(OpenApiCoverageTest, EveryRegisteredRouteIsDocumented) {
  ServerCore core(ServerCoreOptions{}, MakeOrtBackendFactory());
  http::Router router;
  AddAllHttpRoutes(&core, {}, router);

  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(std::string(openapi::Document()));
  simdjson::dom::object paths = doc["paths"];
  for (const auto& [method, pattern] : router.Routes()) {
    const auto want = Segments(pattern);
    bool found = false;
    for (auto [path, operations] : paths) {
      const auto have = Segments(path);
      if (have.size() != want.size()) continue;
      bool same = true;
      for (size_t i = 0; i < want.size() && same; ++i) same = SegmentMatches(want[i], have[i]);
      simdjson::dom::element op;
      if (same && operations.at_key(MethodName(method)).get(op) == simdjson::SUCCESS) found = true;
    }
    EXPECT_TRUE(found) << MethodName(method) << " " << pattern << " is not in openapi.json";
  }
}

}  // namespace
}  // namespace inferd
