#include "frontends/kserve/shared_memory_io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace inferd::kserve {
namespace {

// A pass-through output (a view of an input read from a region) written back
// into the same region at an overlapping offset: the bytes arrive intact,
// as if copied through a temporary (the fuzzer found the overlap).
TEST(SharedMemoryIoTest, OutputsMayOverlapTheInputTheyViewInTheSameRegion) {
  const std::string key = "/inferd-io-test-" + std::to_string(::getpid());
  const int fd = ::shm_open(key.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 64), 0);
  ::close(fd);
  SharedMemoryRegions regions(true);
  ASSERT_TRUE(regions.Register("r", key, 0, 64, true).ok());
  ::shm_unlink(key.c_str());  // the region's mapping keeps it

  auto in = regions.Find("r", 0, 16);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  std::memcpy(in->bytes.data(), "0123456789abcdef", 16);

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
  const std::string key = "/inferd-io-test2-" + std::to_string(::getpid());
  const int fd = ::shm_open(key.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 64), 0);
  ::close(fd);
  SharedMemoryRegions regions(true);
  ASSERT_TRUE(regions.Register("r", key, 0, 64, true).ok());
  ::shm_unlink(key.c_str());
  auto all = regions.Find("r", 0, 16);
  ASSERT_TRUE(all.ok());
  std::memcpy(all->bytes.data(), "AAAAAAAABBBBBBBB", 16);

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
