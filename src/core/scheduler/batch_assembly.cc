#include "core/scheduler/batch_assembly.h"

#include <cstring>
#include <memory>
#include <numeric>

namespace inferd {
namespace {

// Byte offset of each row boundary in a BYTES tensor with `rows` rows of
// `per_row` elements each (rows + 1 offsets).
std::vector<size_t> BytesRowOffsets(const Tensor& t, int64_t rows, int64_t per_row) {
  std::vector<size_t> offsets;
  offsets.reserve(static_cast<size_t>(rows) + 1);
  offsets.push_back(0);
  auto elements = SplitBytesElements(t.bytes(), rows * per_row);
  if (!elements.ok()) return {};
  size_t pos = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t e = 0; e < per_row; ++e) pos += 4 + (*elements)[r * per_row + e].size();
    offsets.push_back(pos);
  }
  return offsets;
}

int64_t ElementsPerRow(const Shape& shape) {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

}  // namespace

int64_t BatchSizeOf(const PreparedRequest& request) {
  if (request.inputs.empty() || request.inputs[0].shape().empty()) return 0;
  return request.inputs[0].shape()[0];
}

bool BatchCompatible(const PreparedRequest& a, const PreparedRequest& b) {
  if (a.outputs != b.outputs || a.inputs.size() != b.inputs.size()) return false;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const Tensor& x = a.inputs[i];
    const Tensor& y = b.inputs[i];
    if (x.dtype() != y.dtype() || x.shape().size() != y.shape().size() || x.shape().empty()) {
      return false;
    }
    if (!std::equal(x.shape().begin() + 1, x.shape().end(), y.shape().begin() + 1)) return false;
  }
  return true;
}

std::vector<Tensor> ConcatInputs(std::span<const PreparedRequest* const> requests) {
  std::vector<Tensor> merged;
  const PreparedRequest& first = *requests.front();
  for (size_t i = 0; i < first.inputs.size(); ++i) {
    Shape shape = first.inputs[i].shape();
    size_t bytes = 0;
    shape[0] = 0;
    for (const PreparedRequest* r : requests) {
      shape[0] += r->inputs[i].shape()[0];
      bytes += r->inputs[i].byte_size();
    }
    Tensor t(first.inputs[i].name(), first.inputs[i].dtype(), std::move(shape));
    std::byte* out = t.Allocate(bytes);
    for (const PreparedRequest* r : requests) {
      const Tensor& piece = r->inputs[i];
      if (piece.byte_size() > 0) std::memcpy(out, piece.data(), piece.byte_size());
      out += piece.byte_size();
    }
    merged.push_back(std::move(t));
  }
  return merged;
}

StatusOr<std::vector<std::vector<Tensor>>> SplitOutputs(std::vector<Tensor> outputs,
                                                        std::span<const int64_t> batch_sizes) {
  const int64_t total = std::accumulate(batch_sizes.begin(), batch_sizes.end(), int64_t{0});
  std::vector<std::vector<Tensor>> pieces(batch_sizes.size());
  for (Tensor& output : outputs) {
    if (output.shape().empty() || output.shape()[0] != total) {
      return Internal("output '" + output.name() + "' has shape " + ShapeToString(output.shape()) +
                      ", which does not split into the batch's " + std::to_string(total) + " rows");
    }
    const int64_t per_row = ElementsPerRow(output.shape());
    std::vector<size_t> row_offsets;
    if (output.dtype() == DataType::kBytes) {
      row_offsets = BytesRowOffsets(output, total, per_row);
      if (row_offsets.empty()) return Internal("output '" + output.name() + "' is malformed");
    }
    // Every piece borrows from the one batch output.
    auto owner = std::make_shared<Tensor>(std::move(output));
    int64_t row = 0;
    for (size_t p = 0; p < batch_sizes.size(); ++p) {
      Shape shape = owner->shape();
      shape[0] = batch_sizes[p];
      size_t begin = 0;
      size_t end = 0;
      if (owner->dtype() == DataType::kBytes) {
        begin = row_offsets[static_cast<size_t>(row)];
        end = row_offsets[static_cast<size_t>(row + batch_sizes[p])];
      } else {
        const size_t row_bytes = static_cast<size_t>(per_row) * DataTypeByteSize(owner->dtype());
        begin = static_cast<size_t>(row) * row_bytes;
        end = begin + static_cast<size_t>(batch_sizes[p]) * row_bytes;
      }
      Tensor piece(owner->name(), owner->dtype(), std::move(shape));
      piece.Borrow(owner->bytes().subspan(begin, end - begin), owner);
      pieces[p].push_back(std::move(piece));
      row += batch_sizes[p];
    }
  }
  return pieces;
}

}  // namespace inferd
