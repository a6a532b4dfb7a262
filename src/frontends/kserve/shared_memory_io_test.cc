#include "frontends/kserve/shared_memory_io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <string_view>

namespace inferd::kserve {
namespace {

// Registers a new 64-byte shared-memory object as region "r" of `regions`
// and fills its start with `bytes`; the object's name is unlinked at once
// (the region's mapping keeps it).
void RegisterRegion(SharedMemoryRegions& regions, std::string_view bytes) {
  static int counter = 0;
  const std::string key =
      "/inferd-io-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const int fd = ::shm_open(key.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 64), 0);
  ::close(fd);
  ASSERT_TRUE(regions.Register("r", key, 0, 64, true).ok());
  ::shm_unlink(key.c_str());
  auto start = regions.Find("r", 0, bytes.size());
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  std::memcpy(start->bytes.data(), bytes.data(), bytes.size());
}

// A pass-through output (a view of an input read from a region) written back
// into the same region at an overlapping offset: the bytes arrive intact,
// as if copied through a temporary (the fuzzer found the overlap).
TEST(SharedMemoryIoTest, OutputsMayOverlapTheInputTheyViewInTheSameRegion) {
  SharedMemoryRegions regions(true);
  ASSERT_NO_FATAL_FAILURE(RegisterRegion(regions, "0123456789abcdef"));

  Tensor input("x", DataType::kUint8, {16});
  ASSERT_TRUE(ReadInputFromSharedMemory(&regions, ShmLocation{"r", 0, 16}, input).ok());
  InferResponse response;
  response.outputs.push_back(input);  // the output is the input's bytes
  const std::vector<ShmOutput> outputs{{"x", ShmLocation{"r", 4, 16}}};
  ASSERT_TRUE(WriteOutputsToSharedMemory(&regions, outputs, response).ok());

  auto out = regions.Find("r", 4, 16);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(std::memcmp(out->bytes.data(), "0123456789abcdef", 16), 0);
}

// Two pass-through outputs whose writes cross: the first one's write lands on
// the bytes the second one views; both arrive as they were before any write.
TEST(SharedMemoryIoTest, AWriteNeverCorruptsAnotherOutputsSource) {
  SharedMemoryRegions regions(true);
  ASSERT_NO_FATAL_FAILURE(RegisterRegion(regions, "AAAAAAAABBBBBBBB"));
  auto all = regions.Find("r", 0, 16);
  ASSERT_TRUE(all.ok());

  Tensor a("a", DataType::kUint8, {8}), b("b", DataType::kUint8, {8});
  ASSERT_TRUE(ReadInputFromSharedMemory(&regions, ShmLocation{"r", 0, 8}, a).ok());
  ASSERT_TRUE(ReadInputFromSharedMemory(&regions, ShmLocation{"r", 8, 8}, b).ok());
  InferResponse response;
  response.outputs = {a, b};
  // a goes where b's bytes are, b goes where a's bytes are.
  const std::vector<ShmOutput> outputs{{"a", ShmLocation{"r", 8, 8}},
                                       {"b", ShmLocation{"r", 0, 8}}};
  ASSERT_TRUE(WriteOutputsToSharedMemory(&regions, outputs, response).ok());
  EXPECT_EQ(std::memcmp(all->bytes.data(), "BBBBBBBBAAAAAAAA", 16), 0);
}

}  // namespace
}  // namespace inferd::kserve
