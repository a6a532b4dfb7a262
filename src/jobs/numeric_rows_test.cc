#include "jobs/numeric_rows.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/tabular_codec.h"

namespace inferd::jobs {
namespace {

ModelSignature Signature(DataType dtype, int64_t width) {
  ModelSignature signature;
  TensorSpec input;
  input.name = "x";
  input.dtype = dtype;
  input.shape = {-1, width};
  signature.inputs.push_back(input);
  return signature;
}

// What the general path makes of the rows: one JSON array parsed, as a table.
StatusOr<std::vector<Tensor>> General(const ModelSignature& signature,
                                      const std::vector<std::string>& rows) {
  std::string joined = "[";
  for (const std::string& row : rows) {
    if (joined.size() > 1) joined += ',';
    joined += row;
  }
  joined += ']';
  static simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(joined).get(root)) return InvalidArgument("not JSON");
  INFERD_ASSIGN_OR_RETURN(http::JsonRowsTable table,
                          http::JsonRowsTable::Make(http::ArrayElements(root.get_array().value())));
  return http::TableToTensors(signature, table);
}

std::optional<Tensor> Fast(const ModelSignature& signature, const std::vector<std::string>& rows) {
  std::vector<std::string_view> views(rows.begin(), rows.end());
  return NumericJsonlRows(signature, views);
}

void ExpectSame(DataType dtype, int64_t width, const std::vector<std::string>& rows) {
  const ModelSignature signature = Signature(dtype, width);
  auto fast = Fast(signature, rows);
  ASSERT_TRUE(fast.has_value()) << rows.front();
  auto general = General(signature, rows);
  ASSERT_TRUE(general.ok()) << general.status().message();
  ASSERT_EQ(general->size(), 1u);
  const Tensor& want = general->front();
  EXPECT_EQ(fast->name(), want.name());
  EXPECT_EQ(fast->dtype(), want.dtype());
  EXPECT_EQ(fast->shape(), want.shape());
  ASSERT_EQ(fast->byte_size(), want.byte_size());
  EXPECT_EQ(std::memcmp(fast->data(), want.data(), want.byte_size()), 0) << rows.front();
}

TEST(NumericJsonlRowsTest, ReadsWhatTheGeneralPathReadsBitForBit) {
  ExpectSame(DataType::kFp32, 3, {"[1, 2, 3]", " [ -4.5 ,0.25,1e3 ] \r", "[0,-0.0,7E-2]"});
  ExpectSame(DataType::kFp64, 2, {"[0.1,0.2]", "[123456789012345,-999999999999999]"});
  // Many random values, in every way JSON writes a number.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(-1e6, 1e6);
  std::uniform_int_distribution<int> style(0, 4);
  for (DataType dtype : {DataType::kFp32, DataType::kFp64}) {
    std::vector<std::string> rows;
    for (int r = 0; r < 300; ++r) {
      std::string row = "[";
      for (int c = 0; c < 8; ++c) {
        if (c > 0) row += ", ";
        const double v = value(rng);
        char text[64];
        switch (style(rng)) {
          case 0:
            std::snprintf(text, sizeof text, "%.17g", v);
            break;
          case 1:
            std::snprintf(text, sizeof text, "%.4f", v);
            break;
          case 2:
            std::snprintf(text, sizeof text, "%.9e", v / 1e12);
            break;
          case 3:
            std::snprintf(text, sizeof text, "%lld", static_cast<long long>(v));
            break;
          default:
            std::snprintf(text, sizeof text, "%.3E", v * 1e30);
        }
        row += text;
      }
      rows.push_back(row + "]");
    }
    ExpectSame(dtype, 8, rows);
  }
}

TEST(NumericJsonlRowsTest, LeavesEverythingElseToTheGeneralPath) {
  const ModelSignature signature = Signature(DataType::kFp32, 2);
  for (const char* row : {"[1]",
                          "[1,2,3]",
                          "[1,\"2\"]",
                          "[1,[2]]",
                          "{\"a\":1,\"b\":2}",
                          "[1,2",
                          "1,2",
                          "[1,2]x",
                          "[+1,2]",
                          "[01,2]",
                          "[1.,2]",
                          "[.5,2]",
                          "[1e,2]",
                          "[NaN,2]",
                          "[Infinity,2]",
                          "[-0,2]",
                          "[1234567890123456,2]",
                          "[1 2]",
                          "[1,,2]",
                          "[1,2,]",
                          "",
                          "[]",
                          "[-,2]",
                          "[1e999,2]",
                          "[null,2]"}) {
    EXPECT_FALSE(Fast(signature, {"[0,0]", row}).has_value()) << row;
  }
  // Models the fast path is not for.
  EXPECT_FALSE(Fast(Signature(DataType::kInt64, 2), {"[1,2]"}).has_value());
  ModelSignature fixed = Signature(DataType::kFp32, 2);
  fixed.inputs[0].shape = {1, 2};
  EXPECT_FALSE(Fast(fixed, {"[1,2]"}).has_value());
  ModelSignature two = Signature(DataType::kFp32, 2);
  two.inputs.push_back(two.inputs[0]);
  EXPECT_FALSE(Fast(two, {"[1,2]"}).has_value());
  EXPECT_FALSE(Fast(signature, {}).has_value());
}

}  // namespace
}  // namespace inferd::jobs
