#include "pipeline/trace_context.h"

#include <gtest/gtest.h>

#include "observability/request_scope.h"
#include "pipeline/filters/request_id_filter.h"

namespace inferd::pipeline {
namespace {

TEST(TraceContextTest, ParsesAValidParentAndStartsAChildSpan) {
  auto parent = ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(parent->parent_span_id, "b7ad6b7169203331");
  EXPECT_EQ(parent->flags, 1);
  TraceContext trace = StartSpan(parent, "vendor=x");
  EXPECT_EQ(trace.trace_id, parent->trace_id);
  EXPECT_EQ(trace.span_id.size(), 16u);
  EXPECT_NE(trace.span_id, parent->parent_span_id);
  EXPECT_EQ(trace.tracestate, "vendor=x");
  EXPECT_EQ(trace.Traceparent(), "00-" + trace.trace_id + "-" + trace.span_id + "-01");
}

TEST(TraceContextTest, RefusesInvalidParents) {
  for (const char* bad : {
           "",
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",       // no flags
           "00-00000000000000000000000000000000-b7ad6b7169203331-01",    // zero trace id
           "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",    // zero span id
           "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",    // version ff
           "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",    // upper case
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",  // v00 with more
           "0x-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
       }) {
    EXPECT_FALSE(ParseTraceparent(bad)) << bad;
  }
  // A later version may append fields.
  EXPECT_TRUE(ParseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"));
}

TEST(TraceContextTest, ANewTraceWithoutAParentDropsTracestate) {
  TraceContext trace = StartSpan(std::nullopt, "vendor=x");
  EXPECT_EQ(trace.trace_id.size(), 32u);
  EXPECT_TRUE(trace.parent_span_id.empty());
  EXPECT_TRUE(trace.tracestate.empty());
  EXPECT_NE(StartSpan(std::nullopt, "").trace_id, trace.trace_id);
}

class FixedHeaders : public HeaderSource {
 public:
  explicit FixedHeaders(std::string id) : id_(std::move(id)) {}
  std::string_view Get(std::string_view name) const override {
    return name == "x-request-id" ? std::string_view(id_) : std::string_view();
  }

 private:
  std::string id_;
};

TEST(RequestIdFilterTest, KeepsASaneClientIdAndReplacesOthers) {
  RequestIdFilter filter;
  FixedHeaders sane("abc-123");
  RequestContext context;
  context.headers = &sane;
  EXPECT_FALSE(filter.OnCall(context));
  EXPECT_EQ(context.request_id, "abc-123");
  ASSERT_EQ(context.response_headers.size(), 1u);
  EXPECT_EQ(context.response_headers[0].second, "abc-123");

  FixedHeaders spaced("has space");
  RequestContext replaced;
  replaced.headers = &spaced;
  EXPECT_FALSE(filter.OnCall(replaced));
  EXPECT_EQ(replaced.request_id.size(), 36u);  // a UUID
  EXPECT_EQ(replaced.request_id[14], '4');
  EXPECT_FALSE(RequestScope::IsAcceptableId(std::string(201, 'a')));
}

}  // namespace
}  // namespace inferd::pipeline
