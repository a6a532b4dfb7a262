#include "frontends/kserve/shared_memory_io.h"

#include <cstdint>
#include <cstring>
#include <span>

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

namespace {

bool Overlap(std::span<const std::byte> a, std::span<const std::byte> b) {
  if (a.empty() || b.empty()) return false;
  const auto lo = [](std::span<const std::byte> s) {
    return reinterpret_cast<uintptr_t>(s.data());
  };
  return lo(a) < lo(b) + b.size() && lo(b) < lo(a) + a.size();
}

}  // namespace

Status WriteOutputsToSharedMemory(const SharedMemoryRegions* regions,
                                  const std::vector<ShmOutput>& outputs,
                                  const InferResponse& response) {
  struct Copy {
    std::span<std::byte> to;
    std::span<const std::byte> from;
    std::vector<std::byte> aside;         // `from` saved when a write could reach it
    std::shared_ptr<const void> mapping;  // keeps `to` mapped
  };
  std::vector<Copy> copies;
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
    copies.push_back({view.bytes, tensor->bytes(), {}, std::move(view.owner)});
  }
  // An output may be a view of an input read from a region (a pass-through):
  // one that another output's write would overwrite is saved first. (Two
  // registrations of one object map it twice; such aliasing is not seen.)
  for (Copy& copy : copies) {
    for (const Copy& other : copies) {
      if (&other != &copy && Overlap(copy.from, other.to)) {
        copy.aside.assign(copy.from.begin(), copy.from.end());
        copy.from = copy.aside;
        break;
      }
    }
  }
  for (const Copy& copy : copies) {
    // memmove: an output may overlap its own destination.
    if (!copy.from.empty()) std::memmove(copy.to.data(), copy.from.data(), copy.from.size());
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
