#include "frontends/kserve/shared_memory_io.h"

#include <cstring>

namespace inferd::kserve {
namespace {

Status NoRegions() {
  return Unavailable("shared memory is not available on this server");
}

}  // namespace

StatusOr<std::optional<ShmLocation>> MakeShmLocation(const std::string& tensor,
                                                     std::optional<std::string> region,
                                                     std::optional<uint64_t> byte_size,
                                                     std::optional<uint64_t> offset) {
  if (!region) {
    if (byte_size || offset) {
      return InvalidArgument("'" + tensor +
                             "' has shared_memory_byte_size or shared_memory_offset but no "
                             "shared_memory_region");
    }
    return std::optional<ShmLocation>();
  }
  if (!byte_size) {
    return InvalidArgument("'" + tensor +
                           "' names a shared_memory_region but no shared_memory_byte_size");
  }
  return std::optional<ShmLocation>(
      ShmLocation{std::move(*region), offset.value_or(0), *byte_size});
}

Status ReadInputFromSharedMemory(const SharedMemoryRegions* regions, const ShmLocation& where,
                                 Tensor& tensor) {
  if (regions == nullptr) return NoRegions();
  INFERD_ASSIGN_OR_RETURN(auto view, regions->Find(where.region, where.offset, where.byte_size));
  tensor.Borrow(std::span<const std::byte>(view.bytes.data(), view.bytes.size()), view.owner);
  return Status::Ok();
}

Status CheckOutputRegions(const SharedMemoryRegions* regions,
                          const std::vector<ShmOutput>& outputs) {
  for (const ShmOutput& out : outputs) {
    if (regions == nullptr) return NoRegions();
    INFERD_RETURN_IF_ERROR(
        regions->Find(out.where.region, out.where.offset, out.where.byte_size).status());
  }
  return Status::Ok();
}

Status WriteOutputsToSharedMemory(const SharedMemoryRegions* regions,
                                  const std::vector<ShmOutput>& outputs,
                                  const InferResponse& response) {
  for (const ShmOutput& out : outputs) {
    const Tensor* tensor = nullptr;
    for (const Tensor& t : response.outputs) {
      if (t.name() == out.name) tensor = &t;
    }
    if (tensor == nullptr) continue;
    if (regions == nullptr) return NoRegions();
    if (tensor->byte_size() > out.where.byte_size) {
      return Internal("shared memory size specified with the request for output '" + out.name +
                      "' (" + std::to_string(out.where.byte_size) + " bytes) should be at least " +
                      std::to_string(tensor->byte_size()) + " bytes to hold the results");
    }
    INFERD_ASSIGN_OR_RETURN(auto view,
                            regions->Find(out.where.region, out.where.offset, tensor->byte_size()));
    // memmove: an output may still be a view of an input read from the same
    // region (a pass-through output), and the two ranges may overlap.
    if (tensor->byte_size() > 0)
      std::memmove(view.bytes.data(), tensor->data(), tensor->byte_size());
  }
  return Status::Ok();
}

const ShmOutput* FindShmOutput(const std::vector<ShmOutput>& outputs, const std::string& name) {
  for (const ShmOutput& out : outputs) {
    if (out.name == name) return &out;
  }
  return nullptr;
}

}  // namespace inferd::kserve
