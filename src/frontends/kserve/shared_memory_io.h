// Triton's shared-memory tensor parameters, shared by the KServe HTTP and
// gRPC translators: an input whose bytes are read from a registered region
// (borrowed, not copied), and outputs copied into regions after inference.
//
//   parameters: shared_memory_region (string), shared_memory_byte_size,
//               shared_memory_offset (optional, default 0)
//
// Stateless functions over the server's SharedMemoryRegions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/infer_request.h"
#include "core/shared_memory.h"

namespace inferd::kserve {

struct ShmLocation {
  std::string region;
  uint64_t offset = 0;
  uint64_t byte_size = 0;
};

struct ShmOutput {
  std::string name;
  ShmLocation where;
};

// What a tensor's parameters say, before any lookup: nullopt when it names no
// region; InvalidArgument when the region is named without a byte size (or
// the values have the wrong types, which the callers check).
StatusOr<std::optional<ShmLocation>> MakeShmLocation(const std::string& tensor,
                                                     std::optional<std::string> region,
                                                     std::optional<uint64_t> byte_size,
                                                     std::optional<uint64_t> offset);

// Points `tensor` at the region's bytes (a BYTES tensor's elements carry
// their 4-byte length prefixes there, as in the binary extension).
Status ReadInputFromSharedMemory(const SharedMemoryRegions* regions, const ShmLocation& where,
                                 Tensor& tensor);

// Checks that each output's region exists and is in bounds, at decode time.
Status CheckOutputRegions(const SharedMemoryRegions* regions,
                          const std::vector<ShmOutput>& outputs);

// Copies each listed output of `response` into its region; an output larger
// than the byte size the request gave is an error in Triton's words.
Status WriteOutputsToSharedMemory(const SharedMemoryRegions* regions,
                                  const std::vector<ShmOutput>& outputs,
                                  const InferResponse& response);

// The listed output named `name`, or nullptr.
const ShmOutput* FindShmOutput(const std::vector<ShmOutput>& outputs, const std::string& name);

}  // namespace inferd::kserve
