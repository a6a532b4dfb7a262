// libFuzzer target: the CSV reader and the tabular codec over its rows.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontends/http/csv_parser.h"
#include "fuzz_tabular_signatures.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const inferd::ModelSignature sig = inferd::fuzz::PickSignature(data[0]);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto table = inferd::http::CsvTable::Parse(text);
  if (!table.ok()) return 0;
  for (size_t r = 0; r < table->num_rows(); ++r) {
    for (size_t c = 0; c < table->num_columns(); ++c) (void)table->Field(r, c);
  }
  (void)inferd::http::TableToTensors(sig, *table);
  return 0;
}
