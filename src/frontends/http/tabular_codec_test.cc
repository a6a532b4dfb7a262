#include "frontends/http/tabular_codec.h"

#include <gtest/gtest.h>

#include <cstring>

#include "frontends/http/csv_parser.h"
#include "frontends/http/json_tensor_codec.h"

namespace inferd::http {
namespace {

using simdjson::dom::element;

TensorSpec Spec(std::string name, DataType dtype, Shape shape) {
  TensorSpec s;
  s.name = std::move(name);
  s.dtype = dtype;
  s.shape = std::move(shape);
  return s;
}

ModelSignature OneInput(DataType dtype = DataType::kFp32, Shape shape = {-1, 3}) {
  ModelSignature sig;
  sig.inputs.push_back(Spec("float_input", dtype, std::move(shape)));
  return sig;
}

// Like the string_pipeline example: two [N, 1] inputs, one of them strings.
ModelSignature TwoInputs() {
  ModelSignature sig;
  sig.inputs.push_back(Spec("city", DataType::kBytes, {-1, 1}));
  sig.inputs.push_back(Spec("x", DataType::kFp32, {-1, 1}));
  return sig;
}

std::vector<element> Rows(const char* json) {
  auto root = ParseJson(json);
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  return ArrayElements(simdjson::dom::array(*root));
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  std::vector<T> out(t.byte_size() / sizeof(T));
  std::memcpy(out.data(), t.data(), t.byte_size());
  return out;
}

std::vector<std::string> Strings(const Tensor& t) {
  auto split = SplitBytesElements(t.bytes(), ElementCount(t.shape()).value());
  EXPECT_TRUE(split.ok());
  return {split->begin(), split->end()};
}

TEST(TabularCodecTest, UnnamedRowsGoIntoTheSingle2DInput) {
  auto table = JsonRowsTable::Make(Rows("[[1, 2, 3], [4.5, 5, 6]]"));
  ASSERT_TRUE(table.ok());
  auto tensors = TableToTensors(OneInput(), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  ASSERT_EQ(tensors->size(), 1u);
  EXPECT_EQ((*tensors)[0].name(), "float_input");
  EXPECT_EQ((*tensors)[0].dtype(), DataType::kFp32);
  EXPECT_EQ((*tensors)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values<float>((*tensors)[0]), (std::vector<float>{1, 2, 3, 4.5f, 5, 6}));
}

TEST(TabularCodecTest, WrongColumnCountIsLeftToTheValidator) {
  auto table = JsonRowsTable::Make(Rows("[[1, 2]]"));
  auto tensors = TableToTensors(OneInput(), *table);
  ASSERT_TRUE(tensors.ok());
  EXPECT_EQ((*tensors)[0].shape(), (Shape{1, 2}));  // the core rejects [1, 2] for [-1, 3]
}

TEST(TabularCodecTest, NamedColumnsNotNamingInputsAreGathered) {
  auto root = ParseJson(R"({"a": [1, 2], "b": [3, 4], "c": [5, 6]})");
  auto table = JsonColumnsTable::Make(simdjson::dom::object(*root));
  ASSERT_TRUE(table.ok());
  auto tensors = TableToTensors(OneInput(DataType::kFp64), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ((*tensors)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values<double>((*tensors)[0]), (std::vector<double>{1, 3, 5, 2, 4, 6}));
}

TEST(TabularCodecTest, ColumnsNamingInputsFeedThem) {
  auto table =
      JsonRecordsTable::Make(Rows(R"([{"x": 0.5, "city": "Paris"}, {"x": -1, "city": "Lyon"}])"));
  ASSERT_TRUE(table.ok());
  auto tensors = TableToTensors(TwoInputs(), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].name(), "x");
  EXPECT_EQ((*tensors)[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(Values<float>((*tensors)[0]), (std::vector<float>{0.5f, -1}));
  EXPECT_EQ((*tensors)[1].name(), "city");
  EXPECT_EQ((*tensors)[1].dtype(), DataType::kBytes);
  EXPECT_EQ(Strings((*tensors)[1]), (std::vector<std::string>{"Paris", "Lyon"}));
}

TEST(TabularCodecTest, RankOneInputsGetOneValuePerRow) {
  ModelSignature sig;
  sig.inputs.push_back(Spec("a", DataType::kInt64, {-1}));
  sig.inputs.push_back(Spec("b", DataType::kBool, {-1}));
  auto table = JsonRowsTable::Make(Rows("[[1, true], [2, false]]"), {"a", "b"});
  auto tensors = TableToTensors(sig, *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ((*tensors)[0].shape(), (Shape{2}));
  EXPECT_EQ(Values<int64_t>((*tensors)[0]), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Values<uint8_t>((*tensors)[1]), (std::vector<uint8_t>{1, 0}));
}

TEST(TabularCodecTest, UnnamedRowsFeedSeveralInputsByPosition) {
  auto table = JsonRowsTable::Make(Rows(R"([["Paris", 1.5]])"));
  auto tensors = TableToTensors(TwoInputs(), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ((*tensors)[0].name(), "city");
  EXPECT_EQ((*tensors)[1].name(), "x");
  EXPECT_EQ((*tensors)[1].shape(), (Shape{1, 1}));
}

TEST(TabularCodecTest, ArrayCellsAreFlattenedIntoTheRow) {
  auto table = JsonRecordsTable::Make(Rows(R"([{"float_input": [1, 2, 3]}])"));
  auto tensors = TableToTensors(OneInput(), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ((*tensors)[0].shape(), (Shape{1, 3}));
}

TEST(TabularCodecTest, HigherRankInputsGetTheirRowShape) {
  auto table = JsonRowsTable::Make(Rows("[[[1, 2, 3], [4, 5, 6]]]"));
  auto tensors = TableToTensors(OneInput(DataType::kFp32, {-1, 2, -1}), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ((*tensors)[0].shape(), (Shape{1, 2, 3}));
}

TEST(TabularCodecTest, ScalarRowsAreOneValueEach) {
  auto table = JsonRowsTable::Make(Rows("[1, 2, 3]"), {}, true);
  auto tensors = TableToTensors(OneInput(DataType::kInt32, {-1}), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ((*tensors)[0].shape(), (Shape{3}));
  EXPECT_EQ(Values<int32_t>((*tensors)[0]), (std::vector<int32_t>{1, 2, 3}));
}

TEST(TabularCodecTest, RejectsCellsOfTheWrongKind) {
  struct Case {
    const char* rows;
    DataType dtype;
  };
  for (const Case& c : std::vector<Case>{{R"([["a", 1, 2]])", DataType::kFp32},
                                         {"[[1, 2, 3]]", DataType::kBytes},
                                         {"[[1.5, 2, 3]]", DataType::kInt64},
                                         {"[[300, 2, 3]]", DataType::kUint8},
                                         {"[[-1, 2, 3]]", DataType::kUint32},
                                         {"[[null, 2, 3]]", DataType::kFp32},
                                         {"[[true, 2, 3]]", DataType::kFp32},
                                         {"[[2, 0, 1]]", DataType::kBool},
                                         {R"([[{"a": 1}, 2, 3]])", DataType::kFp32}}) {
    auto table = JsonRowsTable::Make(Rows(c.rows));
    ASSERT_TRUE(table.ok());
    auto tensors = TableToTensors(OneInput(c.dtype), *table);
    EXPECT_FALSE(tensors.ok()) << c.rows;
    if (!tensors.ok()) {
      EXPECT_EQ(tensors.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(tensors.status().message().find("row 0"), std::string::npos)
          << tensors.status().message();
    }
  }
}

TEST(TabularCodecTest, IntegralFloatsFitIntegerInputs) {
  auto table = JsonRowsTable::Make(Rows("[[1.0, -2, 3e2]]"));
  auto tensors = TableToTensors(OneInput(DataType::kInt16), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ(Values<int16_t>((*tensors)[0]), (std::vector<int16_t>{1, -2, 300}));
}

TEST(TabularCodecTest, RejectsRaggedRowsAndEmptyTables) {
  auto ragged = JsonRowsTable::Make(Rows("[[1, 2, 3], [1, 2]]"));
  EXPECT_FALSE(TableToTensors(OneInput(), *ragged).ok());
  auto ragged_cells =
      JsonRecordsTable::Make(Rows(R"([{"float_input": [1, 2, 3]}, {"float_input": [1, 2]}])"));
  auto result = TableToTensors(OneInput(), *ragged_cells);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("row 1"), std::string::npos);
  auto empty = JsonRowsTable::Make(Rows("[]"));
  EXPECT_FALSE(TableToTensors(OneInput(), *empty).ok());
  auto not_a_row = JsonRowsTable::Make(Rows("[[1, 2, 3], 4]"));
  EXPECT_FALSE(TableToTensors(OneInput(), *not_a_row).ok());
}

TEST(TabularCodecTest, RejectsColumnsThatNameNoInputOfAMultiInputModel) {
  auto table = JsonRecordsTable::Make(Rows(R"([{"town": "Paris", "x": 1}])"));
  auto tensors = TableToTensors(TwoInputs(), *table);
  ASSERT_FALSE(tensors.ok());
  EXPECT_NE(tensors.status().message().find("'town'"), std::string::npos);
  EXPECT_NE(tensors.status().message().find("city"), std::string::npos);
  auto unnamed = JsonRowsTable::Make(Rows("[[1, 2, 3]]"));
  EXPECT_FALSE(TableToTensors(TwoInputs(), *unnamed).ok());
  // A column naming the input beside one that does not is a mistake, not a feature list.
  auto partly = JsonRecordsTable::Make(Rows(R"([{"other": 1, "float_input": [1, 2]}])"));
  tensors = TableToTensors(OneInput(), *partly);
  ASSERT_FALSE(tensors.ok());
  EXPECT_NE(tensors.status().message().find("'other'"), std::string::npos);
  auto twice = JsonRowsTable::Make(Rows(R"([["a", "b"]])"), {"city", "city"});
  EXPECT_FALSE(TableToTensors(TwoInputs(), *twice).ok());
}

TEST(TabularCodecTest, RecordsMustShareTheirColumns) {
  auto table = JsonRecordsTable::Make(Rows(R"([{"city": "a", "x": 1}, {"city": "b", "y": 1}])"));
  ASSERT_TRUE(table.ok());
  EXPECT_FALSE(TableToTensors(TwoInputs(), *table).ok());
  auto extra = JsonRecordsTable::Make(Rows(R"([{"city": "a", "x": 1}, {"city": "b"}])"));
  EXPECT_FALSE(TableToTensors(TwoInputs(), *extra).ok());
  auto root = ParseJson(R"({"city": ["a", "b"], "x": [1]})");
  EXPECT_FALSE(JsonColumnsTable::Make(simdjson::dom::object(*root)).ok());
}

TEST(TabularCodecTest, CsvFieldsAreParsedPerInputDatatype) {
  auto table = CsvTable::Parse("city,x\r\nParis, 1.5\r\n\"Lyon, FR\",-2e-1\r\n");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto tensors = TableToTensors(TwoInputs(), *table);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ(Strings((*tensors)[0]), (std::vector<std::string>{"Paris", "Lyon, FR"}));
  EXPECT_EQ(Values<float>((*tensors)[1]), (std::vector<float>{1.5f, -0.2f}));
}

TEST(TabularCodecTest, CsvNumericFieldsMustBeNumbers) {
  for (const char* csv : {"a,b,c\n1,,3\n", "a,b,c\n1,x,3\n", "a,b,c\n1,2 3,3\n"}) {
    auto table = CsvTable::Parse(csv);
    ASSERT_TRUE(table.ok());
    auto tensors = TableToTensors(OneInput(), *table);
    ASSERT_FALSE(tensors.ok()) << csv;
    EXPECT_NE(tensors.status().message().find("column 'b'"), std::string::npos)
        << tensors.status().message();
  }
  auto ints = CsvTable::Parse("a,b,c\n+1,2.0,True\n");
  EXPECT_TRUE(TableToTensors(OneInput(DataType::kInt64), *ints).ok() == false);
  auto ints_only = CsvTable::Parse("a,b,c\n+1,2.0,-3\n");
  auto tensors = TableToTensors(OneInput(DataType::kInt64), *ints_only);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ(Values<int64_t>((*tensors)[0]), (std::vector<int64_t>{1, 2, -3}));
  auto bools = CsvTable::Parse("a,b,c\nTrue,false,1\n");
  tensors = TableToTensors(OneInput(DataType::kBool), *bools);
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ(Values<uint8_t>((*tensors)[0]), (std::vector<uint8_t>{1, 0, 1}));
}

}  // namespace
}  // namespace inferd::http
