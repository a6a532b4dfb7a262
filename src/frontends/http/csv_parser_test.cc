#include "frontends/http/csv_parser.h"

#include <gtest/gtest.h>

namespace inferd::http {
namespace {

std::vector<std::vector<std::string>> AllRows(const CsvTable& t) {
  std::vector<std::vector<std::string>> out;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    out.emplace_back();
    for (size_t c = 0; c < t.num_columns(); ++c) out.back().emplace_back(t.Field(r, c));
  }
  return out;
}

TEST(CsvParserTest, ReadsHeaderAndRowsWithLfOrCrlf) {
  for (const char* text : {"a,b\n1,2\n3,4\n", "a,b\r\n1,2\r\n3,4\r\n", "a,b\n1,2\n3,4"}) {
    auto t = CsvTable::Parse(text);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->columns(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(AllRows(*t), (std::vector<std::vector<std::string>>{{"1", "2"}, {"3", "4"}}));
  }
}

TEST(CsvParserTest, QuotedFieldsKeepCommasQuotesAndLineBreaks) {
  auto t = CsvTable::Parse("\"na,me\",\"q\"\"uote\"\n\"a\r\nb\",\"\"\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"na,me", "q\"uote"}));
  EXPECT_EQ(AllRows(*t), (std::vector<std::vector<std::string>>{{"a\r\nb", ""}}));
}

TEST(CsvParserTest, EmptyFieldsBomAndBlankLines) {
  auto t = CsvTable::Parse(
      "\xEF\xBB\xBF"
      "a,b,c\n\n,,\n1,,3\n\r\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->columns()[0], "a");
  EXPECT_EQ(AllRows(*t), (std::vector<std::vector<std::string>>{{"", "", ""}, {"1", "", "3"}}));
}

TEST(CsvParserTest, HeaderOnlyHasNoRows) {
  auto t = CsvTable::Parse("a,b\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->num_rows(), 0u);
  EXPECT_EQ(t->num_columns(), 2u);
}

TEST(CsvParserTest, RejectsMalformedInputWithTheLine) {
  struct Case {
    const char* text;
    const char* line;
  };
  for (const Case& c : std::vector<Case>{{"", nullptr},
                                         {"a,b\n1,2\n3\n", "line 3"},
                                         {"a,b\n1,2,3\n", "line 2"},
                                         {"a,b\n1,\"2\n", "line 2"},
                                         {"a,b\n1,\"2\"x\n", "line 2"},
                                         {"a,b\n1,2\"\n", "line 2"},
                                         {"a,b\n\"x\ny\",1\n1\n", "line 4"}}) {
    auto t = CsvTable::Parse(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    if (c.line != nullptr) {
      EXPECT_NE(t.status().message().find(c.line), std::string::npos) << t.status().message();
    }
  }
}

TEST(CsvParserTest, TrailingCommaMeansAnEmptyLastField) {
  auto t = CsvTable::Parse("a,b\n1,\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(AllRows(*t), (std::vector<std::vector<std::string>>{{"1", ""}}));
}

}  // namespace
}  // namespace inferd::http
