#include "observability/log.h"

#include <gtest/gtest.h>

#include "observability/request_scope.h"

namespace inferd {
namespace {

TEST(JsonEscapeTest, EscapesQuotesAndControlCharacters) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\te\x01"), "a\\\"b\\\\c\\nd\\te\\u0001");
  EXPECT_EQ(JsonEscape("\x7f"), "\\u007f");
}

TEST(JsonEscapeTest, KeepsWellFormedUtf8) {
  EXPECT_EQ(JsonEscape("caf\xc3\xa9"), "caf\xc3\xa9");                            // é
  EXPECT_EQ(JsonEscape("\xe6\xa8\xa1\xe5\x9e\x8b"), "\xe6\xa8\xa1\xe5\x9e\x8b");  // 模型
  EXPECT_EQ(JsonEscape("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");                  // U+1F600
}

TEST(JsonEscapeTest, ReplacesBytesThatAreNotUtf8) {
  EXPECT_EQ(JsonEscape("a\xff"
                       "b"),
            "a\\ufffdb");
  EXPECT_EQ(JsonEscape("\x80"), "\\ufffd");                        // lone continuation byte
  EXPECT_EQ(JsonEscape("\xc3"), "\\ufffd");                        // truncated at the end
  EXPECT_EQ(JsonEscape("\xc3(x"), "\\ufffd(x");                    // bad continuation
  EXPECT_EQ(JsonEscape("\xc0\xaf"), "\\ufffd\\ufffd");             // overlong '/'
  EXPECT_EQ(JsonEscape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");  // surrogate U+D800
  EXPECT_EQ(JsonEscape("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");  // > U+10FFFF
}

TEST(LogTest, LinesCarryTheInstalledRequestsAndABatchNamesEveryId) {
  InitLogging(LogFormat::kText);
  auto a = std::make_shared<RequestScope>("req-a", true, "trace-1", "");
  auto b = std::make_shared<RequestScope>("req-b", true, "trace-2", "");
  testing::internal::CaptureStderr();
  {
    ScopedRequest one(a);
    LogInfo("alone");
  }
  {
    ScopedRequest batch(std::vector<std::shared_ptr<RequestScope>>{a, b});
    LogInfo("batched");
  }
  LogInfo("outside");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("alone request_id=req-a trace_id=trace-1"), std::string::npos) << out;
  EXPECT_NE(out.find("batched request_id=req-a,req-b trace_id=trace-1,trace-2"), std::string::npos)
      << out;
  EXPECT_NE(out.find("outside\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace inferd
