// libFuzzer target: what a batch job reads from its submitter. The first byte
// picks: the job API's JSON submission (a parsed one names exactly one
// input); a job's input file cut into rows as JSONL or CSV (every row lies
// inside the input, in order, without a line end outside a quoted CSV field,
// and the bytes taken never exceed the input); or JSONL rows read by the
// numeric fast path, which must give the general path's tensor bit for bit
// whenever it reads them at all.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/tabular_codec.h"
#include "frontends/jobs/job_json.h"
#include "jobs/job_rows.h"
#include "jobs/numeric_rows.h"

namespace {

void CheckSplit(inferd::JobFormat format, const std::string& text) {
  for (bool at_end : {false, true}) {
    std::vector<std::string_view> rows;
    const size_t used = inferd::jobs::SplitRows(format, text, at_end, rows);
    if (used > text.size() || (at_end && used != text.size())) std::abort();
    const char* previous_end = text.data();
    for (std::string_view row : rows) {
      if (row.data() < previous_end || row.data() + row.size() > text.data() + used) std::abort();
      if (format == inferd::JobFormat::kJsonl && row.find('\n') != std::string_view::npos) {
        std::abort();
      }
      previous_end = row.data() + row.size();
    }
  }
}

// The fast path against the general one: the rows as one JSON array, a table.
void CheckNumericRows(uint8_t selector, const std::string& text) {
  inferd::ModelSignature signature;
  inferd::TensorSpec input;
  input.name = "x";
  input.dtype = selector & 4 ? inferd::DataType::kFp64 : inferd::DataType::kFp32;
  input.shape = {-1, 1 + (selector >> 3) % 4};
  signature.inputs.push_back(input);
  std::vector<std::string_view> rows;
  inferd::jobs::SplitRows(inferd::JobFormat::kJsonl, text, true, rows);
  const auto fast = inferd::jobs::NumericJsonlRows(signature, rows);
  if (!fast.has_value()) return;
  std::string joined = "[";
  for (std::string_view row : rows) {
    if (joined.size() > 1) joined += ',';
    joined += row;
  }
  joined += ']';
  static simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(joined).get(root)) std::abort();  // the fast path read non-JSON
  auto table =
      inferd::http::JsonRowsTable::Make(inferd::http::ArrayElements(root.get_array().value()));
  if (!table.ok()) std::abort();
  auto general = inferd::http::TableToTensors(signature, *table);
  if (!general.ok() || general->size() != 1) std::abort();
  const inferd::Tensor& want = general->front();
  if (fast->dtype() != want.dtype() || fast->shape() != want.shape() ||
      fast->byte_size() != want.byte_size() ||
      std::memcmp(fast->data(), want.data(), want.byte_size()) != 0) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto submission = inferd::jobsfe::ParseJobSubmission(text);
      if (submission.ok() && submission->rows.has_value() == !submission->input_file.empty()) {
        std::abort();
      }
      return 0;
    }
    case 1:
      CheckSplit(inferd::JobFormat::kJsonl, text);
      return 0;
    case 2:
      CheckSplit(inferd::JobFormat::kCsv, text);
      return 0;
    default:
      CheckNumericRows(data[0], text);
      return 0;
  }
}
