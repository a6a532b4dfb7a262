#include "core/shared_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace inferd {
namespace {

// A shared-memory object of `size` bytes, removed at the end of the test.
class ShmObject {
 public:
  explicit ShmObject(size_t size)
      : key_("/inferd-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)) {
    const int fd = ::shm_open(key_.c_str(), O_CREAT | O_RDWR, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
    base_ =
        static_cast<std::byte*>(::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    size_ = size;
    ::close(fd);
  }
  ~ShmObject() {
    ::munmap(base_, size_);
    ::shm_unlink(key_.c_str());
  }
  const std::string& key() const { return key_; }
  std::byte* base() { return base_; }

 private:
  static inline int counter_ = 0;
  std::string key_;
  std::byte* base_ = nullptr;
  size_t size_ = 0;
};

TEST(SharedMemoryTest, RegisteredRegionsAreReadAndWrittenInPlace) {
  ShmObject object(4096);
  SharedMemoryRegions regions(true);
  ASSERT_TRUE(regions.Register("in", object.key(), 100, 64, true).ok());
  std::memcpy(object.base() + 108, "abcd", 4);
  auto view = regions.Find("in", 8, 4);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(std::memcmp(view->bytes.data(), "abcd", 4), 0);
  std::memcpy(view->bytes.data(), "wxyz", 4);  // writes reach the client's mapping
  EXPECT_EQ(std::memcmp(object.base() + 108, "wxyz", 4), 0);
  auto listed = regions.List("");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key, object.key());
  EXPECT_EQ((*listed)[0].offset, 100u);
  EXPECT_EQ((*listed)[0].byte_size, 64u);
}

TEST(SharedMemoryTest, RefusalsUseTritonsWords) {
  ShmObject object(1024);
  SharedMemoryRegions off(false);
  EXPECT_EQ(off.Register("r", object.key(), 0, 16, true).code(), StatusCode::kUnsupported);

  SharedMemoryRegions regions(true);
  EXPECT_EQ(regions.Register("r", "/no-such-object-inferd", 0, 16, true).message(),
            "Unable to open shared memory region: '/no-such-object-inferd'");
  EXPECT_EQ(regions.Register("r", object.key(), 1000, 100, true).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(regions.Register("r", object.key(), UINT64_MAX, 2, true).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(regions.Register("r", object.key(), 0, 1024, true).ok());
  EXPECT_EQ(regions.Register("r", object.key(), 0, 16, true).message(),
            "shared memory region 'r' already in manager");
  EXPECT_EQ(regions.Find("x", 0, 4).status().message(), "Unable to find shared memory region: 'x'");
  EXPECT_EQ(regions.Find("r", 1024, 4).status().message(),
            "Invalid offset for shared memory region: 'r'");
  EXPECT_EQ(regions.Find("r", 1000, 100).status().message(),
            "Invalid offset + byte size for shared memory region: 'r'");
  EXPECT_EQ(regions.Find("r", 1, UINT64_MAX).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(regions.List("x").status().code(), StatusCode::kNotFound);
}

TEST(SharedMemoryTest, OnlyLocalClientsRegisterAndShrunkObjectsAreRefused) {
  ShmObject object(8192);
  SharedMemoryRegions regions(true);
  EXPECT_EQ(regions.Register("r", object.key(), 0, 8192, false).code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(regions.Register("r", object.key(), 0, 8192, true).ok());
  ASSERT_TRUE(regions.Find("r", 4096, 16).ok());
  const int fd = ::shm_open(object.key().c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 4096), 0);  // the client shrinks it
  ::close(fd);
  EXPECT_NE(regions.Find("r", 4096, 16).status().message().find("smaller than when it was"),
            std::string::npos);
}

TEST(SharedMemoryTest, AViewOutlivesItsUnregistration) {
  ShmObject object(4096);
  SharedMemoryRegions regions(true);
  ASSERT_TRUE(regions.Register("r", object.key(), 0, 4096, true).ok());
  auto view = regions.Find("r", 0, 8);
  ASSERT_TRUE(view.ok());
  ASSERT_TRUE(regions.Unregister("r").ok());
  ASSERT_TRUE(regions.Unregister("never-registered").ok());
  std::memcpy(view->bytes.data(), "still ok", 8);  // mapped until the view goes
  EXPECT_EQ(std::memcmp(object.base(), "still ok", 8), 0);
  EXPECT_FALSE(regions.Find("r", 0, 8).ok());
  ASSERT_TRUE(regions.Register("a", object.key(), 0, 8, true).ok());
  ASSERT_TRUE(regions.Register("b", object.key(), 8, 8, true).ok());
  ASSERT_TRUE(regions.Unregister("").ok());
  EXPECT_TRUE(regions.List("")->empty());
}

}  // namespace
}  // namespace inferd
