// Merging requests into one batch along dim 0 and splitting the batch's
// outputs back, exactly, per request. Used by the dynamic batcher.
#pragma once

#include <span>
#include <vector>

#include "core/prepared_request.h"

namespace inferd {

// True when `a` and `b` can run in one batch: the same outputs asked for, and
// inputs with the same dtypes and the same dims after dim 0.
bool BatchCompatible(const PreparedRequest& a, const PreparedRequest& b);

// Dim 0 of the request's first input (the batch size of a batched model).
int64_t BatchSizeOf(const PreparedRequest& request);

// Concatenates each input of `requests` along dim 0 into one tensor per input.
std::vector<Tensor> ConcatInputs(std::span<const PreparedRequest* const> requests);

// Splits each batched output along dim 0 into `batch_sizes` pieces, without
// copying: each piece borrows from the batch output. An error when an output's
// dim 0 is not the sum of the batch sizes.
StatusOr<std::vector<std::vector<Tensor>>> SplitOutputs(std::vector<Tensor> outputs,
                                                        std::span<const int64_t> batch_sizes);

}  // namespace inferd
