#include "observability/request_scope.h"

#include <gtest/gtest.h>

#include <thread>

namespace inferd {
namespace {

using std::chrono::milliseconds;

TEST(RequestScopeTest, ANamedIdReplacesAMadeIdOnceAndNeverTheClients) {
  RequestScope made("made-1", false, "t", "s");
  made.AdoptNamedId("has space");  // unfit for a log line: ignored
  EXPECT_EQ(made.request_id(), "made-1");
  made.AdoptNamedId("body-1");
  made.AdoptNamedId("body-2");  // the first name wins
  EXPECT_EQ(made.request_id(), "body-1");

  RequestScope chosen("client-1", true, "", "");
  chosen.AdoptNamedId("body-1");
  EXPECT_EQ(chosen.request_id(), "client-1");
  EXPECT_FALSE(RequestScope::IsAcceptableId(""));
  EXPECT_FALSE(RequestScope::IsAcceptableId(std::string(201, 'a')));
  EXPECT_TRUE(RequestScope::IsAcceptableId(std::string(200, 'a')));
  EXPECT_FALSE(RequestScope::IsAcceptableId("a,b"));  // a batch's separator
}

TEST(RequestScopeTest, ExecutionsAddUp) {
  RequestScope scope("r", false, "", "");
  EXPECT_FALSE(scope.execution());
  scope.AddExecution(milliseconds(2), milliseconds(5));
  scope.AddExecution(milliseconds(1), milliseconds(3));
  ASSERT_TRUE(scope.execution());
  EXPECT_EQ(scope.execution()->queue, milliseconds(3));
  EXPECT_EQ(scope.execution()->compute, milliseconds(8));
}

TEST(RequestScopeTest, ScopesAreThreadLocalAndNest) {
  auto outer = std::make_shared<RequestScope>("outer", true, "", "");
  auto a = std::make_shared<RequestScope>("a", true, "", "");
  auto b = std::make_shared<RequestScope>("b", true, "", "");
  EXPECT_EQ(CurrentRequest(), nullptr);
  {
    ScopedRequest installed(outer);
    EXPECT_EQ(CurrentRequest(), outer);
    std::thread([] { EXPECT_EQ(CurrentRequest(), nullptr); }).join();
    {
      ScopedRequest batch(std::vector<std::shared_ptr<RequestScope>>{a, nullptr, b});
      EXPECT_EQ(CurrentRequests().size(), 2u);
      EXPECT_EQ(CurrentRequest(), nullptr);  // a batch is not one request
    }
    EXPECT_EQ(CurrentRequest(), outer);
  }
  EXPECT_TRUE(CurrentRequests().empty());
}

TEST(RequestScopeTest, LogFieldsLeaveOutEmptyValues) {
  RequestScope scope("r-1", true, "", "span");
  const auto fields = scope.LogFields();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].first, "request_id");
  EXPECT_EQ(fields[1].first, "span_id");
}

}  // namespace
}  // namespace inferd
