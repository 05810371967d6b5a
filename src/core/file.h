// Whole-file reads and writes with errors as values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace ledge {

// A read-only memory mapping of a whole file (empty files map to nothing). Movable; unmaps
// when destroyed.
class MappedFile {
 public:
  static Expected<MappedFile> open(const std::string& path);
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return static_cast<const uint8_t*>(data_); }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole file; fails for a missing file, a folder, or one larger than max_bytes.
Expected<std::string> read_file(const std::string& path, size_t max_bytes = size_t{4} << 30);
// Writes a whole file through a temporary name and a rename, so readers never see half.
Status write_file(const std::string& path, const void* data, size_t size);

}  // namespace ledge
