#include "frontends/http/query_params.h"

#include <gtest/gtest.h>

namespace inferd::http {
namespace {

TEST(QueryParamsTest, DecodesValues) {
  EXPECT_EQ(QueryParam("name=fraud%20model&x=1", "name"), "fraud model");
  EXPECT_EQ(QueryParam("a=1&name=a+b", "name"), "a b");
  EXPECT_EQ(QueryParam("name=", "name"), "");
  EXPECT_EQ(QueryParam("name", "name"), "");
  EXPECT_EQ(QueryParam("other=1", "name"), std::nullopt);
  EXPECT_EQ(QueryParam("", "name"), std::nullopt);
  EXPECT_EQ(QueryParam("n%61me=x", "name"), "x");
}

TEST(QueryParamsTest, RefusesBadEscapes) {
  EXPECT_EQ(QueryParam("name=%", "name"), std::nullopt);
  EXPECT_EQ(QueryParam("name=%4", "name"), std::nullopt);
  EXPECT_EQ(QueryParam("name=%zz", "name"), std::nullopt);
  EXPECT_EQ(QueryParam("name=%41", "name"), "A");
}

TEST(QueryParamsTest, RepeatedKeys) {
  EXPECT_EQ(QueryParams("stages=Staging&x=1&stages=Production", "stages"),
            (std::vector<std::string>{"Staging", "Production"}));
  EXPECT_TRUE(QueryParams("x=1", "stages").empty());
}

}  // namespace
}  // namespace inferd::http
