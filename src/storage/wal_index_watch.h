// Whether an SQLite database in WAL mode has changed, read without a
// transaction: the wal-index header in the database's "-shm" file, which
// every commit rewrites (a change counter, the last frame, salts and a
// checksum; https://sqlite.org/walformat.html, stable since SQLite 3.7.0).
// SQLite's own readers decide "nothing changed" from the same 48 bytes, so a
// header equal to the one seen before a read means a new read transaction
// would see exactly what that read saw.
//
// Ownership: owns a read-only mapping of the -shm file. Thread-safety:
// Read is thread-safe (it only reads shared memory).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace inferd {

class WalIndexWatch {
 public:
  using Header = std::array<uint8_t, 48>;

  // Null when there is no -shm file to map (not in WAL mode, another VFS):
  // callers then ask SQLite itself.
  static std::unique_ptr<WalIndexWatch> Open(const std::filesystem::path& database);
  ~WalIndexWatch();
  WalIndexWatch(const WalIndexWatch&) = delete;
  WalIndexWatch& operator=(const WalIndexWatch&) = delete;

  // The current header; false when no consistent, initialised one could be
  // read (a writer mid-update, or the file was reset): then ask SQLite.
  bool Read(Header& out) const;

 private:
  WalIndexWatch(int fd, const volatile uint8_t* map) : fd_(fd), map_(map) {}
  int fd_;
  const volatile uint8_t* map_;
};

}  // namespace inferd
